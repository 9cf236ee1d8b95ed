package lab

// packDict is the preset dictionary every packed chunk is deflated with
// (pack.go). A quiet session's chunk is mostly its login: stream headers,
// features, the SASL exchange, the bind, the first presence, written the
// same way by every client and by the server each time; deflated on its
// own, each chunk spelled that vocabulary out again (about 800 bytes for a
// 2.8 KiB login), and with it as the dictionary only what differs is left
// (about 200). It is the vocabulary of XMPP logins, never a session's own
// data, and fixed: every chunk of every run inflates with the same one.
// What comes most often is last, where deflate's distances are shortest.
const packDict = "" +
	// Elements real clients send after the bind (roster, disco, carbons,
	// stream management, pings, messages).
	"<iq type='get' id=''><query xmlns='http://jabber.org/protocol/disco#info'/></iq>" +
	"<iq type='get' id=''><query xmlns='http://jabber.org/protocol/disco#items'/></iq>" +
	"<iq type='set' id=''><enable xmlns='urn:xmpp:carbons:2'/></iq>" +
	"<iq type='get' id=''><ping xmlns='urn:xmpp:ping'/></iq>" +
	"<iq type='get' id=''><vCard xmlns='vcard-temp'/></iq>" +
	"<iq type='set' id=''><pubsub xmlns='http://jabber.org/protocol/pubsub'><publish node=''><item id='current'>" +
	"<enable xmlns='urn:xmpp:sm:3' resume='true'/><enabled xmlns='urn:xmpp:sm:3' id='' resume='true' max=''/>" +
	"<r xmlns='urn:xmpp:sm:3'/><a xmlns='urn:xmpp:sm:3' h=''/><active xmlns='urn:xmpp:csi:0'/><inactive xmlns='urn:xmpp:csi:0'/>" +
	"<message type='chat' to='' id=''><body></body><active xmlns='http://jabber.org/protocol/chatstates'/>" +
	"<request xmlns='urn:xmpp:receipts'/><received xmlns='urn:xmpp:receipts' id=''/></message>" +
	"<presence><priority>0</priority><c xmlns='http://jabber.org/protocol/caps' hash='sha-1' node='' ver=''/></presence>" +
	"<iq type='get' id=''><query xmlns='jabber:iq:roster' ver=''/></iq><iq type='result' id=''><query xmlns='jabber:iq:roster'/></iq>" +
	// Events the lab notes.
	"the client sent TLS alert TLS handshake failed: STARTTLS refused: closed: connection ended client closed the stream " +
	"the client closed the connection profile (selected by listener) " +
	// Registration, legacy authentication, errors.
	"<iq type='get' id=''><query xmlns='jabber:iq:auth'/></iq><iq type='set' id=''><query xmlns='jabber:iq:auth'><username></username><resource></resource><digest></digest></query></iq>" +
	"<iq type='set' id='reg'><query xmlns='jabber:iq:register'><username></username><password>[redacted]</password></query></iq>" +
	"<iq id='reg' type='result'/><iq id='reg' type='error'><query xmlns='jabber:iq:register'><username></username></query>" +
	"<error code='409' type='cancel'><conflict xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'/>" +
	"<text xmlns='urn:ietf:params:xml:ns:xmpp-stanzas' xml:lang='en'>the username is taken</text></error></iq>" +
	"<stream:error><not-authorized xmlns='urn:ietf:params:xml:ns:xmpp-streams'/></stream:error></stream:stream>" +
	"<failure xmlns='urn:ietf:params:xml:ns:xmpp-sasl'><not-authorized/></failure>" +
	// A login: STARTTLS, SASL, the bind.
	"connected from on the xmpp listener (127.0.0.1:5222)" +
	"<?xml version='1.0'?><stream:stream xmlns='jabber:client' xmlns:stream='http://etherx.jabber.org/streams' id='' from='localhost' version='1.0' xml:lang='en'>" +
	"<stream:features><starttls xmlns='urn:ietf:params:xml:ns:xmpp-tls'><required/></starttls></stream:features>" +
	"<starttls xmlns='urn:ietf:params:xml:ns:xmpp-tls'/><proceed xmlns='urn:ietf:params:xml:ns:xmpp-tls'/>" +
	"TLS established: TLS 1.3 TLS_AES_128_GCM_SHA256 TLS_AES_256_GCM_SHA384 TLS_CHACHA20_POLY1305_SHA256" +
	"<stream:stream xmlns='jabber:client' xmlns:stream='http://etherx.jabber.org/streams' to='localhost' version='1.0'>" +
	"<?xml version='1.0'?><stream:stream xmlns='jabber:client' xmlns:stream='http://etherx.jabber.org/streams' id='' from='localhost' version='1.0' xml:lang='en'>" +
	"<stream:features><mechanisms xmlns='urn:ietf:params:xml:ns:xmpp-sasl'><mechanism>SCRAM-SHA-256-PLUS</mechanism>" +
	"<mechanism>SCRAM-SHA-256</mechanism><mechanism>SCRAM-SHA-1-PLUS</mechanism><mechanism>SCRAM-SHA-1</mechanism><mechanism>PLAIN</mechanism>" +
	"</mechanisms><sasl-channel-binding xmlns='urn:xmpp:sasl-cb:0'><channel-binding type='tls-exporter'/>" +
	"<channel-binding type='tls-server-end-point'/></sasl-channel-binding><register xmlns='http://jabber.org/features/iq-register'/>" +
	"<auth xmlns='http://jabber.org/features/iq-auth'/></stream:features>" +
	"<auth xmlns='urn:ietf:params:xml:ns:xmpp-sasl' mechanism='SCRAM-SHA-1'>[redacted]</auth>" +
	"<auth xmlns='urn:ietf:params:xml:ns:xmpp-sasl' mechanism='PLAIN'>[redacted]</auth>" +
	"authenticated as @localhost with PLAIN[SASL payload redacted]" +
	"<stream:stream xmlns='jabber:client' xmlns:stream='http://etherx.jabber.org/streams' to='localhost' version='1.0'>" +
	"<?xml version='1.0'?><stream:stream xmlns='jabber:client' xmlns:stream='http://etherx.jabber.org/streams' id='' from='localhost' version='1.0' xml:lang='en'>" +
	"<stream:features><bind xmlns='urn:ietf:params:xml:ns:xmpp-bind'/><session xmlns='urn:ietf:params:xml:ns:xmpp-session'><optional/></session>" +
	"<ver xmlns='urn:xmpp:features:rosterver'/><sm xmlns='urn:xmpp:sm:3'/><csi xmlns='urn:xmpp:csi:0'/></stream:features>" +
	"<iq id='' type='set'><bind xmlns='urn:ietf:params:xml:ns:xmpp-bind'><resource></resource></bind></iq>" +
	"<iq id='' type='result'><bind xmlns='urn:ietf:params:xml:ns:xmpp-bind'><jid>@localhost/</jid></bind></iq>" +
	"<presence/><presence from='@localhost/' to='@localhost/'/>"
