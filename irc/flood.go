package irc

import "time"

// tokenBucket is the flood limit: burst lines at once, then rate lines per
// second. A nil bucket allows everything (flood_burst = 0).
type tokenBucket struct {
	burst, rate float64
	tokens      float64
	last        time.Time
}

func newTokenBucket(burst, perSecond int, now time.Time) *tokenBucket {
	if burst <= 0 {
		return nil
	}
	return &tokenBucket{burst: float64(burst), rate: float64(perSecond), tokens: float64(burst), last: now}
}

// take spends one token for a line read at now; false means the client is
// flooding.
func (b *tokenBucket) take(now time.Time) bool {
	if b == nil {
		return true
	}
	if elapsed := now.Sub(b.last); elapsed > 0 {
		b.tokens = min(b.burst, b.tokens+elapsed.Seconds()*b.rate)
		b.last = now
	}
	if b.tokens < 1 {
		return false
	}
	b.tokens--
	return true
}
