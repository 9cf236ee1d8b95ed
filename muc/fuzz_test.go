package muc

import (
	"bytes"
	"testing"

	"github.com/beevik/etree"

	"jabberd/stream"
)

// FuzzRoomStanzas feeds a room arbitrary stanzas from four sessions, the
// fourth a second resource of the first's account (lines of "sender-index
// stanza"; a line "N!…" that is not XML ends sender N's session), and
// checks that nothing panics, that the room's indexes agree (every session
// of every occupant, and nothing else), that every occupant has a role and
// that everything delivered serializes.
func FuzzRoomStanzas(f *testing.F) {
	seeds := []string{
		"0 <presence to='team@conference.localhost/A'/>\n1 <presence to='team@conference.localhost/B'/>\n1 <message to='team@conference.localhost' type='groupchat'><body>x</body></message>",
		"0 <presence to='team@conference.localhost/A'/>\n0 <iq type='set' id='1' to='team@conference.localhost'><query xmlns='http://jabber.org/protocol/muc#admin'><item nick='B' role='none'/></query></iq>",
		"0 <presence to='team@conference.localhost/A'/>\n0 <iq type='set' id='c' to='team@conference.localhost'><query xmlns='http://jabber.org/protocol/muc#owner'><x xmlns='jabber:x:data' type='submit'><field var='muc#roomconfig_membersonly'><value>1</value></field></x></query></iq>\n2 <presence to='team@conference.localhost/C'/>",
		"0 <presence to='team@conference.localhost/A'/>\n1 <presence to='team@conference.localhost/A'/>\n1 <presence to='team@conference.localhost/Z'><x xmlns='http://jabber.org/protocol/muc'><history maxchars='3' seconds='1' since='2026-01-01T00:00:00Z'/></x></presence>\n1 <presence to='team@conference.localhost/Y'/>\n0 <iq type='set' id='b' to='team@conference.localhost'><query xmlns='http://jabber.org/protocol/muc#admin'><item jid='bob@localhost' affiliation='outcast'/></query></iq>",
		"0 <presence to='team@conference.localhost/A'/>\n0 <message to='team@conference.localhost/A'><body>me</body></message>\n0 <iq type='set' id='d' to='team@conference.localhost'><query xmlns='http://jabber.org/protocol/muc#owner'><destroy/></query></iq>\n0 <presence to='team@conference.localhost/A' type='unavailable'/>",
	}
	for _, s := range seeds {
		f.Add([]byte(s))
	}
	f.Add([]byte("0 <presence to='team@conference.localhost/A'/>\n3 <presence to='team@conference.localhost/A'/>\n1 <presence to='team@conference.localhost/B'/>\n1 <message to='team@conference.localhost/A' type='chat'><body>x</body></message>\n0 <presence to='team@conference.localhost/A' type='unavailable'/>\n3 <presence to='team@conference.localhost/Q'/>\n3!x"))
	f.Add([]byte("0 <presence to='team@conference.localhost/A'/>\n1 <iq type='set' id='r' to='team@conference.localhost'><query xmlns='jabber:iq:register'><x xmlns='jabber:x:data' type='submit'><field var='FORM_TYPE'><value>http://jabber.org/protocol/muc#register</value></field><field var='muc#register_roomnick'><value>B</value></field></x></query></iq>\n2 <presence to='team@conference.localhost/B'/>\n1 <iq type='get' id='n' to='team@conference.localhost'><query xmlns='http://jabber.org/protocol/disco#info' node='x-roomuser-item'/></iq>\n1 <iq type='set' id='u' to='team@conference.localhost'><query xmlns='jabber:iq:register'><remove/></query></iq>"))
	f.Add([]byte("0 <presence to='team@conference.localhost/A'/>\n0 <iq type='set' id='c' to='team@conference.localhost'><query xmlns='http://jabber.org/protocol/muc#owner'><x xmlns='jabber:x:data' type='submit'><field var='muc#roomconfig_moderatedroom'><value>1</value></field></x></query></iq>\n2 <presence to='team@conference.localhost/C'/>\n2 <message to='team@conference.localhost'><x xmlns='jabber:x:data' type='submit'><field var='FORM_TYPE'><value>http://jabber.org/protocol/muc#request</value></field></x></message>\n0 <message to='team@conference.localhost'><x xmlns='jabber:x:data' type='submit'><field var='FORM_TYPE'><value>http://jabber.org/protocol/muc#request</value></field><field var='muc#roomnick'><value>C</value></field><field var='muc#request_allow'><value>true</value></field></x></message>"))
	f.Add([]byte("0 <presence to='team@conference.localhost/A'/>\n0 <message to='team@conference.localhost' type='groupchat'><body>x</body><stanza-id xmlns='urn:xmpp:sid:0' by='team@conference.localhost' id='1'/></message>\n1 <iq type='set' id='q' to='team@conference.localhost'><query xmlns='urn:xmpp:mam:2'/></iq>\n0 <iq type='set' id='c' to='team@conference.localhost'><query xmlns='http://jabber.org/protocol/muc#owner'><x xmlns='jabber:x:data' type='submit'><field var='muc#roomconfig_enablelogging'><value>0</value></field></x></query></iq>\n1 <iq type='get' id='f' to='team@conference.localhost'><query xmlns='urn:xmpp:mam:2'/></iq>"))
	// The fourth sender is a second session of the first's account.
	senders := []string{"alice@localhost/a", "bob@localhost/b", "carol@localhost/c", "alice@localhost/a2"}
	f.Fuzz(func(t *testing.T, data []byte) {
		s, err := New(Options{Domain: "conference.localhost", MaxOccupants: 3, MaxHistory: 4, MaxRoomsPerUser: 2, MaxMessageBytes: 64, Store: &memStore{}, Archive: &fakeArchive{}, LogByDefault: true})
		if err != nil {
			t.Fatal(err)
		}
		k := &countSink{}
		s.Attach(k)
		for _, line := range bytes.Split(data, []byte("\n")) {
			if len(line) < 2 {
				continue
			}
			from := senders[int(line[0])%len(senders)]
			doc := etree.NewDocument()
			if doc.ReadFromBytes(line[2:]) != nil || doc.Root() == nil {
				if len(line) > 2 && line[1] == '!' {
					s.Gone(from)
				}
				continue
			}
			el := doc.Root()
			el.RemoveAttr("from")
			el.CreateAttr("from", from)
			s.Handle(from, el)
		}
		s.mu.Lock()
		rooms := make([]*Room, 0, len(s.rooms))
		for _, r := range s.rooms {
			rooms = append(rooms, r)
		}
		s.mu.Unlock()
		for _, r := range rooms {
			r.mu.Lock()
			sessions := 0
			for nick, o := range r.occupants {
				if o.nick != nick || len(o.sessions) == 0 || o.jid != o.sessions[0] || o.role == None || o.role == "" {
					t.Fatalf("room %s: occupant %q is %+v", r.name, nick, o)
				}
				for _, j := range o.sessions {
					if r.byJID[j] != o || bareOf(j) != bareOf(o.jid) {
						t.Fatalf("room %s: session %s of %q is %+v", r.name, j, nick, r.byJID[j])
					}
				}
				sessions += len(o.sessions)
			}
			if sessions != len(r.byJID) {
				t.Fatalf("room %s: %d sessions, %d JIDs", r.name, sessions, len(r.byJID))
			}
			if len(r.history) > 4 || len(r.occupants) > 3 {
				t.Fatalf("room %s: bounds broken (%d history, %d occupants)", r.name, len(r.history), len(r.occupants))
			}
			r.mu.Unlock()
		}
	})
}

// countSink serializes what it is given, as the stream would.
type countSink struct{ n int }

func (k *countSink) DeliverTo(to string, el *etree.Element) bool {
	_ = stream.Marshal(el)
	k.n++
	return true
}
