package accounts

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"

	"github.com/xdg-go/scram"
)

// secret makes the stand-in credentials of unknown names stable within a
// run and unpredictable outside it.
var secret = func() []byte {
	b := make([]byte, 32)
	_, _ = rand.Read(b)
	return b
}()

// stand-in is what a check costs for a name with no account, so that how
// long a wrong login takes does not tell whether the name exists.
var standIn = func() *Account {
	a, _ := NewAccount("stand-in", "no password checks against this", Options{})
	return a
}()

// CheckUnknown spends on password for a name with no account what
// CheckPassword spends for one that has it, and fails.
func CheckUnknown(password string) bool {
	_ = standIn.CheckPassword(password)
	return false
}

// UnknownCredentials returns SCRAM credentials for a name with no account:
// a salt derived from the name (the same at every attempt, as a real one
// would be), the usual iteration count, and keys no password matches. A
// SCRAM exchange then fails at the proof, as for a wrong password, instead
// of at the first message.
func UnknownCredentials(name, hashName string, iterations int) scram.StoredCredentials {
	if iterations <= 0 {
		iterations = 4096
	}
	mac := hmac.New(sha256.New, secret)
	mac.Write([]byte(hashName + "\x00" + name))
	sum := mac.Sum(nil)
	size := 32
	if hashName == "SHA-1" {
		size = 20
	}
	key := make([]byte, size)
	_, _ = rand.Read(key)
	return scram.StoredCredentials{
		KeyFactors: scram.KeyFactors{Salt: string(sum[:16]), Iters: iterations},
		StoredKey:  key,
		ServerKey:  key,
	}
}
