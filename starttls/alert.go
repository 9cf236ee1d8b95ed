package starttls

import (
	"strconv"
	"strings"
)

// TLS alerts by the names RFC 8446 §6 gives them. A tester reads the
// client's alert as its TLS library sent it (certificate_expired), not as
// Go's error text ("expired certificate") or, worse, as whatever Go failed
// on next (a plaintext alert read as an encrypted record: "bad record MAC").
var alertNames = map[uint8]struct{ rfc, goText string }{
	0:   {"close_notify", "close notify"},
	10:  {"unexpected_message", "unexpected message"},
	20:  {"bad_record_mac", "bad record MAC"},
	21:  {"decryption_failed", "decryption failed"},
	22:  {"record_overflow", "record overflow"},
	30:  {"decompression_failure", "decompression failure"},
	40:  {"handshake_failure", "handshake failure"},
	42:  {"bad_certificate", "bad certificate"},
	43:  {"unsupported_certificate", "unsupported certificate"},
	44:  {"certificate_revoked", "revoked certificate"},
	45:  {"certificate_expired", "expired certificate"},
	46:  {"certificate_unknown", "unknown certificate"},
	47:  {"illegal_parameter", "illegal parameter"},
	48:  {"unknown_ca", "unknown certificate authority"},
	49:  {"access_denied", "access denied"},
	50:  {"decode_error", "error decoding message"},
	51:  {"decrypt_error", "error decrypting message"},
	60:  {"export_restriction", "export restriction"},
	70:  {"protocol_version", "protocol version not supported"},
	71:  {"insufficient_security", "insufficient security level"},
	80:  {"internal_error", "internal error"},
	86:  {"inappropriate_fallback", "inappropriate fallback"},
	90:  {"user_canceled", "user canceled"},
	100: {"no_renegotiation", "no renegotiation"},
	109: {"missing_extension", "missing extension"},
	110: {"unsupported_extension", "unsupported extension"},
	111: {"certificate_unobtainable", "certificate unobtainable"},
	112: {"unrecognized_name", "unrecognized name"},
	113: {"bad_certificate_status_response", "bad certificate status response"},
	114: {"bad_certificate_hash_value", "bad certificate hash value"},
	115: {"unknown_psk_identity", "unknown PSK identity"},
	116: {"certificate_required", "certificate required"},
	120: {"no_application_protocol", "no application protocol"},
	121: {"ech_required", "encrypted client hello required"},
}

// AlertName is the RFC 8446 name of an alert code ("alert 200" for a code
// no RFC names).
func AlertName(code uint8) string {
	if a, ok := alertNames[code]; ok {
		return a.rfc
	}
	return "alert " + strconv.Itoa(int(code))
}

// RemoteAlert reads the alert a peer sent out of the error text Go's TLS
// stack reports for it ("remote error: tls: expired certificate"), and
// returns its RFC 8446 name.
func RemoteAlert(errText string) (string, bool) {
	const marker = "remote error: tls: "
	i := strings.Index(errText, marker)
	if i < 0 {
		return "", false
	}
	text := errText[i+len(marker):]
	// The longest text that matches: "unknown certificate" is also the
	// start of "unknown certificate authority".
	best, found := uint8(0), ""
	for code, a := range alertNames {
		if strings.HasPrefix(text, a.goText) && len(a.goText) > len(found) {
			best, found = code, a.goText
		}
	}
	if found != "" {
		return AlertName(best), true
	}
	if strings.HasPrefix(text, "alert(") { // Go's form for a code it has no text for
		return "alert " + strings.TrimSuffix(strings.TrimPrefix(text, "alert("), ")"), true
	}
	return "", false
}

// TLS record content types (RFC 8446 §5.1).
const (
	recordAlert     = 21
	recordHandshake = 22
	recordHeaderLen = 5
)

// ScanRecords walks what a client sent during a handshake, record by
// record. It returns the last alert that came in the clear (an alert
// encrypted under the handshake keys is an application-data record and
// cannot be read here; Go's error names those), and whatever follows the
// last whole TLS record when it is not TLS: plaintext the client went on
// with on the same socket after the handshake failed.
func ScanRecords(raw []byte) (alert string, after []byte) {
	alert, after, _ = scanRecords(raw)
	return alert, after
}

// ClientHellos counts the ClientHello records in what a client sent: a
// second one is a client starting its handshake over (as one that obeyed
// a forged second go-ahead does).
func ClientHellos(raw []byte) int {
	_, _, n := scanRecords(raw)
	return n
}

func scanRecords(raw []byte) (alert string, after []byte, hellos int) {
	for len(raw) >= recordHeaderLen && isRecord(raw) {
		n := recordHeaderLen + (int(raw[3])<<8 | int(raw[4]))
		if n > len(raw) {
			return alert, nil, hellos // a record cut short: still TLS
		}
		if raw[0] == recordAlert && n == recordHeaderLen+2 {
			alert = AlertName(raw[recordHeaderLen+1])
		}
		if raw[0] == recordHandshake && isClientHello(raw[recordHeaderLen:n]) {
			hellos++
		}
		raw = raw[n:]
	}
	return alert, raw, hellos
}

// isClientHello: a handshake record holding one whole ClientHello message
// (type 1 and a length that fills the record), which an encrypted record
// matches only by a rare accident of its first four bytes.
func isClientHello(payload []byte) bool {
	if len(payload) < 4 || payload[0] != 1 {
		return false
	}
	return int(payload[1])<<16|int(payload[2])<<8|int(payload[3]) == len(payload)-4
}

// isRecord: a content type TLS defines (change_cipher_spec 20 to
// heartbeat 24) and a 3.x legacy version.
func isRecord(b []byte) bool {
	return b[0] >= 20 && b[0] <= 24 && b[1] == 3
}

// IsHandshakeStart reports whether data starts a TLS handshake record: a
// ClientHello is on its way.
func IsHandshakeStart(data []byte) bool { return len(data) > 0 && data[0] == recordHandshake }
