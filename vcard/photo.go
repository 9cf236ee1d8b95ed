package vcard

import (
	"crypto/sha1"
	"encoding/base64"
	"encoding/hex"
	"strings"

	"github.com/beevik/etree"
)

// photoHash is the XEP-0153 hash of a vCard's photo: the SHA-1 of the
// image bytes (BINVAL decoded), lower-case hex; "" without a photo, or
// when BINVAL is not base64 (nothing could be shown for it).
func photoHash(card *etree.Element) string {
	p := card.SelectElement("PHOTO")
	if p == nil {
		return ""
	}
	v := p.SelectElement("BINVAL")
	if v == nil {
		return ""
	}
	// BINVAL is often folded into lines.
	text := strings.Map(func(r rune) rune {
		if r == ' ' || r == '\t' || r == '\r' || r == '\n' {
			return -1
		}
		return r
	}, v.Text())
	img, err := base64.StdEncoding.DecodeString(text)
	if err != nil {
		if img, err = base64.RawStdEncoding.DecodeString(strings.TrimRight(text, "=")); err != nil {
			return ""
		}
	}
	if len(img) == 0 {
		return ""
	}
	sum := sha1.Sum(img)
	return hex.EncodeToString(sum[:])
}

// StampPresence implements chat.PresenceStamper, as Prosody's
// mod_vcard_legacy does: an available presence that says nothing of the
// photo (no <x xmlns='vcard-temp:x:update'/>, or one without <photo/>,
// which XEP-0153 §4.2 says a client sends while it is not ready) gets the
// hash of the account's photo, when it has one. A client's own <photo/>,
// empty or not, is left as it is. The hash comes from memory; only the
// first presence of an account the cache does not hold reads the store.
func (s *Service) StampPresence(account string, el *etree.Element) {
	hash := s.photo(account)
	if hash == "" {
		return
	}
	var x *etree.Element
	for _, c := range el.ChildElements() {
		if c.Tag == "x" && c.NamespaceURI() == NSUpdate {
			x = c
			break
		}
	}
	if x == nil {
		x = el.CreateElement("x")
		x.CreateAttr("xmlns", NSUpdate)
	} else if x.SelectElement("photo") != nil {
		return
	}
	x.CreateElement("photo").SetText(hash)
}

// photo returns the account's photo hash, from the cache or the store.
func (s *Service) photo(account string) string {
	if h, ok := s.photos.Get(account); ok {
		return h
	}
	local := s.localOf(account)
	if local == "" {
		return ""
	}
	h, err := s.opt.Store.VCardPhoto(local)
	if err != nil {
		s.opt.Log.Error().Err(err).Str("account", local).Msg("reading a vCard photo hash failed")
		return "" // not remembered: read again next time
	}
	// A set that stored a new hash since the read has put it here: it
	// wins over what was read.
	if cur, ok, _ := s.photos.PeekOrAdd(account, h); ok {
		return cur
	}
	return h
}

// Forget drops what is remembered of an account (it was deleted).
func (s *Service) Forget(account string) { s.photos.Remove(account) }
