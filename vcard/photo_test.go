package vcard

import (
	"crypto/sha1"
	"encoding/hex"
	"testing"

	"github.com/beevik/etree"
	"github.com/rs/zerolog"

	"jabberd/stream"
)

// countingStore holds photo hashes and counts the reads of them.
type countingStore struct {
	photos map[string]string
	reads  int
}

func (s *countingStore) VCard(string) ([]byte, error) { return nil, nil }
func (s *countingStore) VCardPhoto(owner string) (string, error) {
	s.reads++
	return s.photos[owner], nil
}
func (s *countingStore) SetVCard(owner string, _ []byte, photo string) error {
	s.photos[owner] = photo
	return nil
}

func parse(t *testing.T, s string) *etree.Element {
	t.Helper()
	doc := etree.NewDocument()
	if err := doc.ReadFromString(s); err != nil {
		t.Fatal(err)
	}
	return doc.Root()
}

// TestPhotoHash: the SHA-1 of the decoded BINVAL, folded or without
// padding; nothing for no photo, an empty one, or one that is not base64.
func TestPhotoHash(t *testing.T) {
	sum := sha1.Sum([]byte("ab"))
	want := hex.EncodeToString(sum[:])
	for card, h := range map[string]string{
		"<vCard><PHOTO><BINVAL>YWI=</BINVAL></PHOTO></vCard>":        want,
		"<vCard><PHOTO><BINVAL> Y\nWI= </BINVAL></PHOTO></vCard>":    want,
		"<vCard><PHOTO><BINVAL>YWI</BINVAL></PHOTO></vCard>":         want,
		"<vCard><FN>x</FN></vCard>":                                  "",
		"<vCard><PHOTO><BINVAL></BINVAL></PHOTO></vCard>":            "",
		"<vCard><PHOTO><BINVAL>not base64!</BINVAL></PHOTO></vCard>": "",
	} {
		if got := photoHash(parse(t, card)); got != h {
			t.Errorf("photoHash(%s) = %q, want %q", card, got, h)
		}
	}
}

// TestStampPresenceReadsOnce: the hash of an account is read from the
// store at its first presence only; the cache is bounded (an evicted
// account is read again), and an account without a photo gets nothing.
func TestStampPresenceReadsOnce(t *testing.T) {
	st := &countingStore{photos: map[string]string{"alice": "aaaa"}}
	s, err := New(Options{Domain: "localhost", Store: st, MaxBytes: 1000, PhotoCache: 1, Log: zerolog.Nop()})
	if err != nil {
		t.Fatal(err)
	}
	for range 3 {
		el := parse(t, "<presence/>")
		s.StampPresence("alice@localhost", el)
		if got := string(stream.Marshal(el)); got != "<presence><x xmlns='vcard-temp:x:update'><photo>aaaa</photo></x></presence>" {
			t.Fatalf("stamped presence = %s", got)
		}
	}
	if st.reads != 1 {
		t.Errorf("3 presences read the store %d times, want 1", st.reads)
	}
	el := parse(t, "<presence/>")
	s.StampPresence("bob@localhost", el) // evicts alice
	if got := string(stream.Marshal(el)); got != "<presence/>" {
		t.Errorf("bob has no photo, his presence became %s", got)
	}
	s.StampPresence("alice@localhost", parse(t, "<presence/>"))
	if st.reads != 3 {
		t.Errorf("reads after an eviction = %d, want 3", st.reads)
	}
}
