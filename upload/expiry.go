package upload

import (
	"os"
	"path/filepath"
	"time"
)

// Expiry: the janitor that removes files past their time, and the quota
// arithmetic it shares with slot requests.

// Janitor deletes expired files every interval until stop is closed.
func (s *Service) Janitor(interval time.Duration, stop <-chan struct{}) {
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		select {
		case <-stop:
			return
		case <-t.C:
			s.Expire()
		}
	}
}

// usedLocked is what owner keeps: stored files not expired, open slots.
func (s *Service) usedLocked(owner string, now time.Time) int64 {
	var n int64
	for _, m := range s.files {
		if m.Owner == owner && now.Before(m.Expires) {
			n += m.Size
		}
	}
	for _, sl := range s.slots {
		if sl.owner == owner && (sl.putting || now.Before(sl.expires)) {
			n += sl.size
		}
	}
	return n
}

// Expire deletes expired files and forgets expired slots.
func (s *Service) Expire() {
	now := s.opt.Now()
	s.mu.Lock()
	var gone []string
	for tok, m := range s.files {
		if !now.Before(m.Expires) {
			gone = append(gone, tok)
			delete(s.files, tok)
		}
	}
	for tok, sl := range s.slots {
		if !sl.putting && !now.Before(sl.expires) {
			delete(s.slots, tok)
		}
	}
	s.mu.Unlock()
	for _, tok := range gone {
		s.remove(tok)
	}
	if len(gone) > 0 {
		s.opt.Log.Info().Int("files", len(gone)).Msg("expired uploads deleted")
	}
}

func (s *Service) remove(tok string) {
	os.Remove(filepath.Join(s.opt.Dir, tok))
	os.Remove(filepath.Join(s.opt.Dir, tok+".json"))
}
