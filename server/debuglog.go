package server

import (
	"jabberd/stanza"
	"jabberd/stream"
)

// logIn writes an incoming event at debug level, secrets redacted.
func (c *conn) logIn(ev stream.Event) {
	lg := c.core.Log()
	if !lg.Debug().Enabled() {
		return
	}
	e := lg.Debug().Str("phase", c.core.Phase())
	switch ev.Kind {
	case stream.KindHeader:
		e.Interface("header", ev.Header.Attrs).Interface("xmlns", ev.Header.Decls).Msg("received header")
	case stream.KindElement:
		e.Str("in", string(stream.Marshal(stanza.Redacted(ev.Element)))).Msg("received")
	case stream.KindClose:
		e.Msg("received stream close")
	}
}
