package app_test

import (
	"jabberd/app"
	"jabberd/config"
	"jabberd/control"
)

// srvControl is a Control whose reload loads nothing new.
type srvControl struct{ set *app.Setup }

func (s srvControl) handle(r control.Request) control.Response {
	return app.Control{Set: s.set, Load: func() (*config.Config, error) { return s.set.Config(), nil }}.Handle(r)
}
