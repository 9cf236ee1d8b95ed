package app

import (
	"github.com/rs/zerolog"

	"jabberd/config"
	"jabberd/muc"
	"jabberd/store"
)

// mucFromConfig builds the multi-user chat service of [muc], with its
// persistent rooms from the store.
func mucFromConfig(cfg *config.Config, db *store.DB, log zerolog.Logger) (*muc.Service, error) {
	m := cfg.MUC
	history := m.MaxHistory
	if history == 0 {
		history = -1 // none kept
	}
	s, err := muc.New(muc.Options{
		Domain: cfg.MUCDomain(), Store: db,
		MaxRoomsPerUser: m.MaxRoomsPerUser, MaxRooms: m.MaxRooms, MaxOccupants: m.MaxOccupants,
		MaxHistory: history, MaxMessageBytes: m.MaxMessageBytes, MaxSessionsPerNick: m.MaxSessionsPerNick,
		VoiceRequestInterval: m.VoiceRequestInterval.Duration,
		Log:                  log.With().Str("service", cfg.MUCDomain()).Logger(),
	})
	if err != nil {
		return nil, err
	}
	log.Info().Str("domain", cfg.MUCDomain()).Int("persistent_rooms", s.RoomCount()).Msg("multi-user chat on")
	return s, nil
}
