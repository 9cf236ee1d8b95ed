package irc

import (
	"errors"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// Channel modes on the network itself (the transcripts cmd-mode-channel
// and cmd-join-modes show them through the machine).

// inbox is a member's outbox in these tests.
type inbox struct {
	mu    sync.Mutex
	lines []string
}

func (b *inbox) Deliver(line string) {
	b.mu.Lock()
	b.lines = append(b.lines, line)
	b.mu.Unlock()
}

func (b *inbox) take() []string {
	b.mu.Lock()
	defer b.mu.Unlock()
	l := b.lines
	b.lines = nil
	return l
}

type netFixture struct {
	t   *testing.T
	n   *Network
	box map[string]*inbox
	mem map[string]*Member
}

func newNetFixture(t *testing.T) *netFixture {
	return &netFixture{t: t, n: NewNetwork(func() time.Time { return time.Unix(1700000000, 0) }),
		box: map[string]*inbox{}, mem: map[string]*Member{}}
}

// user registers nick!nick@host.
func (f *netFixture) user(nick, host string) *Member {
	f.t.Helper()
	b := &inbox{}
	m := f.n.Connect(b, host)
	if err := f.n.SetNick(m, nick); err != nil {
		f.t.Fatal(err)
	}
	f.n.Register(m, Registration{User: nick, Realname: nick})
	f.box[nick], f.mem[nick] = b, m
	return m
}

func (f *netFixture) join(nick, channel, key string) error {
	_, err := f.n.Join(f.mem[nick], channel, key)
	return err
}

// modes applies changes as nick and fails on a refusal of the whole call.
func (f *netFixture) modes(nick, channel string, changes ...ModeChange) ([]ModeChange, []ModeRefusal) {
	f.t.Helper()
	_, applied, refused, err := f.n.ChangeModes(f.mem[nick], channel, changes)
	if err != nil {
		f.t.Fatalf("%s MODE %s: %v", nick, channel, err)
	}
	return applied, refused
}

func plus(mode byte, arg string) ModeChange  { return ModeChange{Add: true, Mode: mode, Arg: arg} }
func minus(mode byte, arg string) ModeChange { return ModeChange{Mode: mode, Arg: arg} }

func wantErr(t *testing.T, what string, got, want error) {
	t.Helper()
	if !errors.Is(got, want) {
		t.Errorf("%s: %v, want %v", what, got, want)
	}
}

func TestChannelFirstJoinerIsOperator(t *testing.T) {
	f := newNetFixture(t)
	f.user("alice", "10.0.0.1")
	f.user("bob", "10.0.0.2")
	f.join("alice", "#lab", "")
	f.join("bob", "#lab", "")
	_, names, _ := f.n.Names(f.mem["alice"], "#lab")
	if got := []string{names[0].Status.prefixes(true) + names[0].Nick, names[1].Status.prefixes(true) + names[1].Nick}; !slices.Equal(got, []string{"@alice", "bob"}) {
		t.Errorf("NAMES = %v", got)
	}
	_, _, _, err := f.n.ChangeModes(f.mem["bob"], "#lab", []ModeChange{plus('m', "")})
	wantErr(t, "bob (no operator) MODE +m", err, ErrChanOpNeeded)
	_, modes, _, _ := f.n.ChannelModes(f.mem["bob"], "#lab")
	if !slices.Equal(modes, []string{"+nt"}) {
		t.Errorf("a new channel is %v, want +nt", modes)
	}
	// The operator status goes with the member: a channel that empties
	// is gone, and its next first joiner is its operator.
	f.n.Part(f.mem["alice"], "#lab", "")
	f.n.Part(f.mem["bob"], "#lab", "")
	f.join("bob", "#lab", "")
	if applied, _ := f.modes("bob", "#lab", plus('m', "")); len(applied) != 1 {
		t.Errorf("the new first joiner is no operator: %v", applied)
	}
}

func TestChannelKey(t *testing.T) {
	f := newNetFixture(t)
	f.user("alice", "10.0.0.1")
	f.user("bob", "10.0.0.2")
	f.join("alice", "#lab", "")
	if _, refused := f.modes("alice", "#lab", plus('k', "has space")); len(refused) != 1 || !errors.Is(refused[0].Err, ErrInvalidParam) {
		t.Errorf("+k with a space: %v", refused)
	}
	if _, refused := f.modes("alice", "#lab", plus('k', strings.Repeat("k", keyLen+1))); len(refused) != 1 {
		t.Errorf("+k longer than %d bytes: %v", keyLen, refused)
	}
	f.modes("alice", "#lab", plus('k', "s3cret"))
	wantErr(t, "JOIN without the key", f.join("bob", "#lab", ""), ErrBadChannelKey)
	wantErr(t, "JOIN with a wrong key", f.join("bob", "#lab", "S3CRET"), ErrBadChannelKey)
	wantErr(t, "JOIN with the key", f.join("bob", "#lab", "s3cret"), nil)

	_, member, _, _ := f.n.ChannelModes(f.mem["bob"], "#lab")
	_, outsider, _, _ := f.n.ChannelModes(f.user("carol", "10.0.0.3"), "#lab")
	if !slices.Equal(member, []string{"+knt", "s3cret"}) || !slices.Equal(outsider, []string{"+nt"}) {
		t.Errorf("324 for a member %v, for an outsider %v: the key is for members only", member, outsider)
	}
	applied, _ := f.modes("alice", "#lab", minus('k', "*"))
	if len(applied) != 1 || applied[0].Arg != "*" {
		t.Errorf("-k applied %v", applied)
	}
	wantErr(t, "JOIN after -k", f.join("carol", "#lab", ""), nil)
}

func TestChannelLimit(t *testing.T) {
	f := newNetFixture(t)
	for _, n := range []string{"alice", "bob", "carol"} {
		f.user(n, "10.0.0.1")
	}
	f.join("alice", "#lab", "")
	for _, bad := range []string{"0", "-3", "ten"} {
		if _, refused := f.modes("alice", "#lab", plus('l', bad)); len(refused) != 1 || !errors.Is(refused[0].Err, ErrInvalidParam) {
			t.Errorf("+l %s: refused %v", bad, refused)
		}
	}
	applied, _ := f.modes("alice", "#lab", plus('l', "02"))
	if len(applied) != 1 || applied[0].Arg != "2" {
		t.Errorf("+l 02 applied %v, want +l 2", applied)
	}
	if applied, _ := f.modes("alice", "#lab", plus('l', "2")); len(applied) != 0 {
		t.Errorf("the same limit again changed something: %v", applied)
	}
	wantErr(t, "second member", f.join("bob", "#lab", ""), nil)
	wantErr(t, "third member over +l 2", f.join("carol", "#lab", ""), ErrChannelIsFull)
	f.modes("alice", "#lab", minus('l', ""))
	wantErr(t, "after -l", f.join("carol", "#lab", ""), nil)
}

func TestChannelInviteOnly(t *testing.T) {
	f := newNetFixture(t)
	for _, n := range []string{"alice", "bob", "carol"} {
		f.user(n, "10.0.0.1")
	}
	f.join("alice", "#lab", "")
	f.join("carol", "#lab", "")
	f.modes("alice", "#lab", plus('i', ""))
	wantErr(t, "JOIN +i uninvited", f.join("bob", "#lab", ""), ErrInviteOnly)
	_, _, _, err := f.n.Invite(f.mem["carol"], "bob", "#lab")
	wantErr(t, "INVITE by a non-operator on +i", err, ErrChanOpNeeded)
	f.box["bob"].take()
	if _, _, _, err := f.n.Invite(f.mem["alice"], "BOB", "#LAB"); err != nil {
		t.Fatal(err)
	}
	if got := f.box["bob"].take(); !slices.Equal(got, []string{":alice!alice@10.0.0.1 INVITE bob #lab"}) {
		t.Errorf("bob was sent %q", got)
	}
	wantErr(t, "JOIN invited", f.join("bob", "#lab", ""), nil)
	f.n.Part(f.mem["bob"], "#lab", "")
	wantErr(t, "JOIN again: an invitation is good for one join", f.join("bob", "#lab", ""), ErrInviteOnly)
	// An invitation does not open a key.
	f.modes("alice", "#lab", plus('k', "k"))
	f.n.Invite(f.mem["alice"], "bob", "#lab")
	wantErr(t, "JOIN invited without the key", f.join("bob", "#lab", ""), ErrBadChannelKey)
	wantErr(t, "JOIN invited with the key", f.join("bob", "#lab", "k"), nil)
}

func TestChannelModerated(t *testing.T) {
	f := newNetFixture(t)
	for _, n := range []string{"alice", "bob", "carol"} {
		f.user(n, "10.0.0.1")
		f.join(n, "#lab", "")
	}
	f.modes("alice", "#lab", plus('m', ""))
	_, err := f.n.Send(f.mem["bob"], "PRIVMSG", "#lab", "hi")
	wantErr(t, "unvoiced on +m", err, ErrCannotSend)
	_, err = f.n.Send(f.mem["alice"], "PRIVMSG", "#lab", "hi")
	wantErr(t, "operator on +m", err, nil)
	f.modes("alice", "#lab", plus('v', "bob"))
	f.box["carol"].take()
	_, err = f.n.Send(f.mem["bob"], "PRIVMSG", "#lab", "voiced")
	wantErr(t, "voiced on +m", err, nil)
	if got := f.box["carol"].take(); !slices.Equal(got, []string{":bob!bob@10.0.0.1 PRIVMSG #lab :voiced"}) {
		t.Errorf("carol got %q", got)
	}
	f.modes("alice", "#lab", minus('m', ""))
	_, err = f.n.Send(f.mem["carol"], "PRIVMSG", "#lab", "hi")
	wantErr(t, "after -m", err, nil)
}

func TestChannelBans(t *testing.T) {
	f := newNetFixture(t)
	f.user("alice", "10.0.0.1")
	f.user("bob", "10.0.0.2")
	f.user("Bobby", "192.168.1.7")
	f.join("alice", "#lab", "")
	f.join("Bobby", "#lab", "")

	applied, _ := f.modes("alice", "#lab", plus('b', "bob*"), plus('b', "*@10.0.0.?"), plus('b', "x!y"))
	var masks []string
	for _, c := range applied {
		masks = append(masks, c.Arg)
	}
	if want := []string{"bob*!*@*", "*!*@10.0.0.?", "x!y@*"}; !slices.Equal(masks, want) {
		t.Errorf("masks as set: %v, want %v", masks, want)
	}
	wantErr(t, "bob matches bob*", f.join("bob", "#lab", ""), ErrBanned)
	// A member that a ban matches stays, but is quiet unless voiced.
	_, err := f.n.Send(f.mem["Bobby"], "PRIVMSG", "#lab", "hi")
	wantErr(t, "banned member (case-insensitive match)", err, ErrCannotSend)
	f.modes("alice", "#lab", plus('v', "Bobby"))
	_, err = f.n.Send(f.mem["Bobby"], "PRIVMSG", "#lab", "hi")
	wantErr(t, "banned but voiced", err, nil)

	// Removing takes any spelling of the mask; the list keeps order.
	if applied, _ := f.modes("alice", "#lab", minus('b', "BOB*")); len(applied) != 1 || applied[0].Arg != "bob*!*@*" {
		t.Errorf("-b BOB*: %v", applied)
	}
	_, bans, _ := f.n.Bans("#lab")
	if len(bans) != 2 || bans[0].mask != "*!*@10.0.0.?" || bans[0].setBy != "alice!alice@10.0.0.1" {
		t.Errorf("ban list %+v", bans)
	}
	wantErr(t, "bob is still banned by host", f.join("bob", "#lab", ""), ErrBanned)
	f.modes("alice", "#lab", minus('b', "*!*@10.0.0.?"))
	wantErr(t, "bob after -b", f.join("bob", "#lab", ""), nil)

	// The list has a bound (MAXLIST).
	for i := len(bans) - 1; i < maxBans; i++ {
		f.modes("alice", "#lab", plus('b', "n"+strconv.Itoa(i)))
	}
	if _, refused := f.modes("alice", "#lab", plus('b', "one-more")); len(refused) != 1 || !errors.Is(refused[0].Err, ErrBanListFull) {
		t.Errorf("ban %d: refused %v", maxBans+1, refused)
	}
}

func TestMasks(t *testing.T) {
	for _, c := range []struct{ in, want string }{
		{"bob", "bob!*@*"}, {"bob!", "bob!*@*"}, {"*@host", "*!*@host"}, {"user@", "*!user@*"},
		{"a!b@c", "a!b@c"}, {"!x@", "*!x@*"}, {"", "*!*@*"},
	} {
		if got := canonicalMask(c.in); got != c.want {
			t.Errorf("canonicalMask(%q) = %q, want %q", c.in, got, c.want)
		}
	}
	for _, c := range []struct {
		mask, s string
		want    bool
	}{
		{"*", "", true}, {"*!*@*", "a!b@c", true}, {"bob!*@*", "BOB!u@h", true}, {"bob!*@*", "bobby!u@h", false},
		{"bob*!*@*", "bobby!u@h", true}, {"?ob!*@*", "rob!u@h", true}, {"*@10.0.0.?", "x!y@10.0.0.12", false},
		{"*!*@10.0.0.?", "x!y@10.0.0.1", true}, {"a*b*c", "aXXbYYc", true}, {"a*b*c", "aXXbYY", false},
		{"**a", "a", true}, {"[x]", "[X]", true},
	} {
		if got := matchMask(c.mask, c.s); got != c.want {
			t.Errorf("matchMask(%q, %q) = %v, want %v", c.mask, c.s, got, c.want)
		}
	}
	// Backtracking stays linear: a long non-match returns at once.
	start := time.Now()
	matchMask(strings.Repeat("*a", 50)+"b", strings.Repeat("a", 5000))
	if d := time.Since(start); d > time.Second {
		t.Errorf("a pathological mask took %v", d)
	}
}

func TestParseChannelModes(t *testing.T) {
	for _, c := range []struct {
		params  []string
		want    string // changes as modeParams writes them
		listBan bool
		unknown string
	}{
		{[]string{"+o", "bob"}, "+o bob", false, ""},
		{[]string{"o", "bob"}, "+o bob", false, ""}, // no sign: +
		{[]string{"b"}, "", true, ""},
		{[]string{"+b-b", "x"}, "+b x", true, ""}, // the second b has no mask: a list
		{[]string{"-k+l", "old", "5"}, "-k+l * 5", false, ""},
		{[]string{"-k"}, "-k *", false, ""},
		{[]string{"+k"}, "", false, ""},                                           // +k without a key: ignored
		{[]string{"+lo"}, "", false, ""},                                          // nor +l, o
		{[]string{"-l"}, "-l", false, ""},                                         // -l takes none
		{[]string{"+qXt"}, "+t", false, "qX"},                                     // unknown letters
		{[]string{"+vvvvv", "a", "b", "c", "d", "e"}, "+vvvv a b c d", false, ""}, // MODES=4
		{[]string{"+o", ":x"}, "", false, ""},                                     // cannot stand in a reply
	} {
		changes, list, unknown := parseChannelModes(c.params)
		got := ""
		if len(changes) > 0 {
			got = strings.Join(modeParams(changes), " ")
		}
		if got != c.want || list != c.listBan || string(unknown) != c.unknown {
			t.Errorf("%q: %q list=%v unknown=%q, want %q list=%v unknown=%q", c.params, got, list, unknown, c.want, c.listBan, c.unknown)
		}
	}
}
