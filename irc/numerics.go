package irc

// Numeric is a three-digit server reply (RFC 1459, RFC 2812, the Modern IRC
// document, IRCv3). Only the ones this server sends are named.
type Numeric string

// Registration.
const (
	RPL_WELCOME  Numeric = "001"
	RPL_YOURHOST Numeric = "002"
	RPL_CREATED  Numeric = "003"
	RPL_MYINFO   Numeric = "004"
	RPL_ISUPPORT Numeric = "005"
	ERR_NOMOTD   Numeric = "422"
)

// Modes, channels and names.
const (
	RPL_UMODEIS       Numeric = "221"
	RPL_LISTSTART     Numeric = "321"
	RPL_LIST          Numeric = "322"
	RPL_LISTEND       Numeric = "323"
	RPL_CHANNELMODEIS Numeric = "324"
	RPL_CREATIONTIME  Numeric = "329"
	RPL_NOTOPIC       Numeric = "331"
	RPL_TOPIC         Numeric = "332"
	RPL_TOPICWHOTIME  Numeric = "333"
	RPL_INVITING      Numeric = "341"
	RPL_NAMREPLY      Numeric = "353"
	RPL_ENDOFNAMES    Numeric = "366"
	RPL_BANLIST       Numeric = "367"
	RPL_ENDOFBANLIST  Numeric = "368"
)

// Users: WHO (and WHOX), WHOIS, WHOWAS, AWAY, ISON, USERHOST.
const (
	RPL_AWAY          Numeric = "301"
	RPL_USERHOST      Numeric = "302"
	RPL_ISON          Numeric = "303"
	RPL_UNAWAY        Numeric = "305"
	RPL_NOWAWAY       Numeric = "306"
	RPL_WHOISUSER     Numeric = "311"
	RPL_WHOISSERVER   Numeric = "312"
	RPL_WHOWASUSER    Numeric = "314"
	RPL_ENDOFWHO      Numeric = "315"
	RPL_WHOISIDLE     Numeric = "317"
	RPL_ENDOFWHOIS    Numeric = "318"
	RPL_WHOISCHANNELS Numeric = "319"
	RPL_WHOISACCOUNT  Numeric = "330"
	RPL_WHOREPLY      Numeric = "352"
	RPL_WHOSPCRPL     Numeric = "354"
	RPL_ENDOFWHOWAS   Numeric = "369"
	RPL_WHOISSECURE   Numeric = "671"
)

// Server queries: LUSERS.
const (
	RPL_LUSERCLIENT   Numeric = "251"
	RPL_LUSERUNKNOWN  Numeric = "253"
	RPL_LUSERCHANNELS Numeric = "254"
	RPL_LUSERME       Numeric = "255"
	RPL_LOCALUSERS    Numeric = "265"
	RPL_GLOBALUSERS   Numeric = "266"
)

// Errors.
const (
	ERR_NOSUCHNICK        Numeric = "401"
	ERR_NOSUCHCHANNEL     Numeric = "403"
	ERR_CANNOTSENDTOCHAN  Numeric = "404"
	ERR_TOOMANYCHANNELS   Numeric = "405"
	ERR_TOOMANYTARGETS    Numeric = "407"
	ERR_WASNOSUCHNICK     Numeric = "406"
	ERR_NOORIGIN          Numeric = "409"
	ERR_INVALIDCAPCMD     Numeric = "410"
	ERR_NORECIPIENT       Numeric = "411"
	ERR_NOTEXTTOSEND      Numeric = "412"
	ERR_INPUTTOOLONG      Numeric = "417"
	ERR_UNKNOWNCOMMAND    Numeric = "421"
	ERR_NONICKNAMEGIVEN   Numeric = "431"
	ERR_ERRONEUSNICKNAME  Numeric = "432"
	ERR_NICKNAMEINUSE     Numeric = "433"
	ERR_USERNOTINCHANNEL  Numeric = "441"
	ERR_NOTONCHANNEL      Numeric = "442"
	ERR_USERONCHANNEL     Numeric = "443"
	ERR_NOTREGISTERED     Numeric = "451"
	ERR_NEEDMOREPARAMS    Numeric = "461"
	ERR_ALREADYREGISTERED Numeric = "462"
	ERR_CHANNELISFULL     Numeric = "471"
	ERR_UNKNOWNMODE       Numeric = "472"
	ERR_INVITEONLYCHAN    Numeric = "473"
	ERR_BANNEDFROMCHAN    Numeric = "474"
	ERR_BADCHANNELKEY     Numeric = "475"
	ERR_BANLISTFULL       Numeric = "478"
	ERR_CHANOPRIVSNEEDED  Numeric = "482"
	ERR_UMODEUNKNOWNFLAG  Numeric = "501"
	ERR_USERSDONTMATCH    Numeric = "502"
	ERR_INVALIDMODEPARAM  Numeric = "696"
)

// IRCv3 tls (STARTTLS) and SASL 3.1.
const (
	RPL_STARTTLS    Numeric = "670"
	ERR_STARTTLS    Numeric = "691"
	RPL_LOGGEDIN    Numeric = "900"
	RPL_SASLSUCCESS Numeric = "903"
	ERR_SASLFAIL    Numeric = "904"
	ERR_SASLTOOLONG Numeric = "905"
	ERR_SASLABORTED Numeric = "906"
	ERR_SASLALREADY Numeric = "907"
	RPL_SASLMECHS   Numeric = "908"
)
