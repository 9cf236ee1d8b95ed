// Package upload is XEP-0363 HTTP File Upload: a service on its own domain
// (upload.<domain>) that hands a client a slot — a PUT URL and a GET URL —
// for a file it wants to share, and the HTTPS handler that takes the file
// and serves it back.
//
// Files are kept in a directory of the state directory, one data file and
// one metadata file per upload, and deleted when they expire. A slot's URL
// holds 32 random bytes: GET needs no authentication (as the XEP expects),
// so the URL is the secret. Uploads are bounded by a size per file and a
// quota per account (the bytes of its files that have not expired, and of
// its open slots).
package upload

import (
	"encoding/json"
	"errors"
	"fmt"
	"mime"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/beevik/etree"
	"github.com/rs/zerolog"

	"jabberd/chat"
	"jabberd/stanza"
)

// NS is XEP-0363's namespace.
const NS = "urn:xmpp:http:upload:0"

// Options configure the service.
type Options struct {
	// Domain is the service's JID (upload.example.org).
	Domain string
	// Dir holds the files (created 0700).
	Dir string
	// BaseURL is where the HTTPS listener is reached
	// (https://example.org:5281); slots are BaseURL/upload/TOKEN/NAME.
	BaseURL string
	// MaxFileSize bounds one file, in bytes.
	MaxFileSize int64
	// Quota bounds the bytes one account keeps (files not yet expired and
	// open slots).
	Quota int64
	// Expiry is how long a file is kept after its upload.
	Expiry time.Duration
	// SlotTTL is how long a slot waits for its PUT (default 5 minutes).
	SlotTTL time.Duration
	Log     zerolog.Logger
	// Now is the clock; nil is time.Now.
	Now func() time.Time
}

// Service is the upload component and its HTTP handler.
type Service struct {
	opt  Options
	sink chat.Deliverer

	mu    sync.Mutex
	base  string           // opt.BaseURL, or what SetBaseURL set
	off   string           // why no slots are given ("" when they are)
	slots map[string]*slot // token → open slot
	files map[string]*meta // token → stored file
}

type slot struct {
	owner   string
	name    string
	size    int64
	ctype   string
	expires time.Time
	putting bool
}

// meta is a stored file's record (TOKEN.json next to TOKEN).
type meta struct {
	Owner   string    `json:"owner"`
	Name    string    `json:"name"`
	Size    int64     `json:"size"`
	Type    string    `json:"content_type"`
	Stored  time.Time `json:"stored"`
	Expires time.Time `json:"expires"`
}

// New returns a service over opt.Dir, reading the files already there and
// deleting the expired ones.
func New(opt Options) (*Service, error) {
	opt.Domain = strings.ToLower(opt.Domain)
	opt.BaseURL = strings.TrimSuffix(opt.BaseURL, "/")
	if opt.SlotTTL <= 0 {
		opt.SlotTTL = 5 * time.Minute
	}
	if opt.Now == nil {
		opt.Now = time.Now
	}
	if opt.MaxFileSize <= 0 || opt.Quota <= 0 || opt.Expiry <= 0 {
		return nil, errors.New("upload: the size, the quota and the expiry must be positive")
	}
	if err := os.MkdirAll(opt.Dir, 0o700); err != nil {
		return nil, fmt.Errorf("upload directory: %w", err)
	}
	s := &Service{opt: opt, base: opt.BaseURL, slots: map[string]*slot{}, files: map[string]*meta{}}
	ents, err := os.ReadDir(opt.Dir)
	if err != nil {
		return nil, fmt.Errorf("upload directory: %w", err)
	}
	for _, e := range ents {
		tok, ok := strings.CutSuffix(e.Name(), ".json")
		if !ok || !validToken(tok) {
			if strings.HasSuffix(e.Name(), ".part") {
				os.Remove(filepath.Join(opt.Dir, e.Name())) // an upload cut by a stop
			}
			continue
		}
		b, err := os.ReadFile(filepath.Join(opt.Dir, e.Name()))
		var m meta
		if err == nil {
			err = json.Unmarshal(b, &m)
		}
		if err != nil {
			opt.Log.Warn().Err(err).Str("file", e.Name()).Msg("an upload's record is unreadable; the upload is deleted")
			s.remove(tok)
			continue
		}
		s.files[tok] = &m
	}
	s.Expire()
	return s, nil
}

// Domain, Name, Attach and Gone make the service a chat.Component.
func (s *Service) Domain() string          { return s.opt.Domain }
func (s *Service) Name() string            { return "HTTP file upload" }
func (s *Service) Attach(d chat.Deliverer) { s.sink = d }
func (s *Service) Gone(string)             {}
func (s *Service) MaxFileSize() int64      { return s.opt.MaxFileSize }
func (s *Service) deliver(to string, el *etree.Element) {
	if s.sink != nil {
		s.sink.DeliverTo(to, el)
	}
}

// Handle answers disco and slot requests.
func (s *Service) Handle(from string, el *etree.Element) {
	typ := el.SelectAttrValue("type", "")
	if el.Tag != "iq" || typ == "result" || typ == "error" {
		if typ != "error" && !(el.Tag == "iq" && typ == "result") && el.Tag != "presence" {
			s.bounce(from, el, stanza.ErrServiceUnavailable)
		}
		return
	}
	to := el.SelectAttrValue("to", "")
	if strings.ContainsAny(to, "@/") {
		s.bounce(from, el, stanza.ErrServiceUnavailable)
		return
	}
	kids := el.ChildElements()
	if len(kids) != 1 {
		s.bounce(from, el, stanza.ErrBadRequest)
		return
	}
	q := kids[0]
	switch {
	case typ == "get" && q.Tag == "query" && q.NamespaceURI() == chat.NSDiscoInfo && q.SelectAttr("node") == nil:
		res, query := s.result(el, from)
		query.CreateAttr("xmlns", chat.NSDiscoInfo)
		id := query.CreateElement("identity")
		id.CreateAttr("category", "store")
		id.CreateAttr("type", "file")
		id.CreateAttr("name", s.Name())
		for _, f := range []string{chat.NSDiscoInfo, NS} {
			query.CreateElement("feature").CreateAttr("var", f)
		}
		x := query.CreateElement("x")
		x.CreateAttr("xmlns", "jabber:x:data")
		x.CreateAttr("type", "result")
		for _, kv := range [][2]string{{"FORM_TYPE", NS}, {"max-file-size", strconv.FormatInt(s.opt.MaxFileSize, 10)}} {
			f := x.CreateElement("field")
			f.CreateAttr("var", kv[0])
			if kv[0] == "FORM_TYPE" {
				f.CreateAttr("type", "hidden")
			}
			f.CreateElement("value").SetText(kv[1])
		}
		s.deliver(from, res)
	case typ == "get" && q.Tag == "query" && q.NamespaceURI() == chat.NSDiscoItem:
		res, query := s.result(el, from)
		query.CreateAttr("xmlns", chat.NSDiscoItem)
		s.deliver(from, res)
	case typ == "get" && q.Tag == "request" && q.NamespaceURI() == NS:
		s.request(from, el, q)
	default:
		s.bounce(from, el, stanza.ErrServiceUnavailable)
	}
}

func (s *Service) result(el *etree.Element, to string) (*etree.Element, *etree.Element) {
	res := etree.NewElement("iq")
	if id := el.SelectAttr("id"); id != nil {
		res.CreateAttr("id", id.Value)
	}
	res.CreateAttr("type", "result")
	res.CreateAttr("from", s.opt.Domain)
	res.CreateAttr("to", to)
	return res, res.CreateElement("query")
}

func (s *Service) bounce(to string, el *etree.Element, e stanza.Error) {
	if reply := stanza.BounceTo(el, e, to, s.opt.Domain); reply != nil {
		s.deliver(to, reply)
	}
}

// request hands out a slot, within the size and the quota.
func (s *Service) request(from string, el, q *etree.Element) {
	owner, _, _ := strings.Cut(strings.ToLower(from), "/")
	name := cleanName(q.SelectAttrValue("filename", ""))
	size, err := strconv.ParseInt(q.SelectAttrValue("size", ""), 10, 64)
	switch {
	case name == "" || err != nil || size <= 0:
		s.bounce(from, el, stanza.ErrBadRequest.WithText("a slot request names a file and its size"))
		return
	case size > s.opt.MaxFileSize:
		reply := stanza.ErrorReply(el, stanza.Error{Code: "406", Type: "modify", Condition: "not-acceptable",
			Text: "the file is larger than the largest this service accepts (" + strconv.FormatInt(s.opt.MaxFileSize, 10) + " bytes)"})
		reply.RemoveAttr("to")
		reply.CreateAttr("to", from)
		if reply.SelectAttr("from") == nil {
			reply.CreateAttr("from", s.opt.Domain)
		}
		ft := reply.SelectElement("error").CreateElement("file-too-large")
		ft.CreateAttr("xmlns", NS)
		ft.CreateElement("max-file-size").SetText(strconv.FormatInt(s.opt.MaxFileSize, 10))
		s.deliver(from, reply)
		return
	}
	ctype := q.SelectAttrValue("content-type", "")
	if _, _, err := mime.ParseMediaType(ctype); err != nil || len(ctype) > 255 {
		ctype = "application/octet-stream"
	}
	tok, err := token()
	if err != nil {
		s.bounce(from, el, stanza.Error{Code: "500", Type: "wait", Condition: "internal-server-error"})
		return
	}
	now := s.opt.Now()
	s.mu.Lock()
	if s.off != "" {
		off := s.off
		s.mu.Unlock()
		s.bounce(from, el, stanza.ErrServiceUnavailable.WithText(off))
		return
	}
	base := s.base
	used := s.usedLocked(owner, now)
	if used+size > s.opt.Quota {
		s.mu.Unlock()
		s.bounce(from, el, stanza.Error{Code: "500", Type: "wait", Condition: "resource-constraint",
			Text: fmt.Sprintf("your uploads take %d of your %d bytes; this file does not fit until some expire", used, s.opt.Quota)})
		return
	}
	s.slots[tok] = &slot{owner: owner, name: name, size: size, ctype: ctype, expires: now.Add(s.opt.SlotTTL)}
	s.mu.Unlock()
	url := base + "/upload/" + tok + "/" + urlEscape(name)
	res := etree.NewElement("iq")
	if id := el.SelectAttr("id"); id != nil {
		res.CreateAttr("id", id.Value)
	}
	res.CreateAttr("type", "result")
	res.CreateAttr("from", s.opt.Domain)
	res.CreateAttr("to", from)
	sl := res.CreateElement("slot")
	sl.CreateAttr("xmlns", NS)
	sl.CreateElement("put").CreateAttr("url", url)
	sl.CreateElement("get").CreateAttr("url", url)
	s.deliver(from, res)
	s.opt.Log.Info().Str("owner", owner).Int64("size", size).Msg("upload slot given")
}

// SetBaseURL changes the start of the slots' URLs (once the listener's
// port is known).
func (s *Service) SetBaseURL(u string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.base = strings.TrimSuffix(u, "/")
}

// SetOff stops giving slots, saying why (the listener could not start).
func (s *Service) SetOff(why string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.off = why
}
