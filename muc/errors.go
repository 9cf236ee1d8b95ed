package muc

import "jabberd/stanza"

// Errors a room answers with (XEP-0045 with XEP-0086 codes).
var (
	ErrItemNotFound      = stanza.Error{Code: "404", Type: "cancel", Condition: "item-not-found"}
	ErrJIDMalformed      = stanza.Error{Code: "400", Type: "modify", Condition: "jid-malformed", Text: "a nickname is required"}
	ErrForbidden         = stanza.Error{Code: "403", Type: "auth", Condition: "forbidden"}
	ErrRegistration      = stanza.Error{Code: "407", Type: "auth", Condition: "registration-required", Text: "this room is members-only"}
	ErrNotAllowedRooms   = stanza.Error{Code: "405", Type: "cancel", Condition: "not-allowed", Text: "you have created as many rooms as this service allows"}
	ErrFull              = stanza.Error{Code: "503", Type: "wait", Condition: "service-unavailable", Text: "the room is full"}
	ErrVoiceWait         = stanza.Error{Code: "500", Type: "wait", Condition: "resource-constraint", Text: "you asked for voice a moment ago; wait for the moderators"}
	ErrTooManySessions   = stanza.Error{Code: "500", Type: "wait", Condition: "resource-constraint", Text: "too many of your sessions share this nickname"}
	ErrNotAcceptable     = stanza.ErrNotAcceptable
	ErrConflict          = stanza.ErrConflict.WithText("that nickname is in use in this room")
	ErrPassword          = stanza.ErrNotAuthorized.WithText("this room needs a password")
	ErrTooBig            = stanza.Error{Code: "406", Type: "modify", Condition: "policy-violation", Text: "the message is too long for this room"}
	ErrNotAllowed        = stanza.ErrNotAllowed
	ErrBadRequest        = stanza.ErrBadRequest
	ErrServiceUnavailble = stanza.ErrServiceUnavailable
)
