package app

import (
	"github.com/rs/zerolog"

	"jabberd/config"
	"jabberd/mam"
	"jabberd/muc"
	"jabberd/store"
)

// mucFromConfig builds the multi-user chat service of [muc], with its
// persistent rooms from the store and, when the server keeps a message
// archive (archive not nil), the rooms' archives in it.
func mucFromConfig(cfg *config.Config, db *store.DB, archive *mam.Service, log zerolog.Logger) (*muc.Service, error) {
	m := cfg.MUC
	history := m.MaxHistory
	if history == 0 {
		history = -1 // none kept
	}
	opt := muc.Options{
		Domain: cfg.MUCDomain(), Store: db,
		MaxRoomsPerUser: m.MaxRoomsPerUser, MaxRooms: m.MaxRooms, MaxOccupants: m.MaxOccupants,
		MaxHistory: history, MaxMessageBytes: m.MaxMessageBytes, MaxSessionsPerNick: m.MaxSessionsPerNick,
		VoiceRequestInterval: m.VoiceRequestInterval.Duration, LogByDefault: m.ArchiveByDefault,
		Log: log.With().Str("service", cfg.MUCDomain()).Logger(),
	}
	if archive != nil { // not a typed nil in the interface
		opt.Archive = archive
	}
	s, err := muc.New(opt)
	if err != nil {
		return nil, err
	}
	log.Info().Str("domain", cfg.MUCDomain()).Int("persistent_rooms", s.RoomCount()).Bool("archive", opt.Archive != nil).Msg("multi-user chat on")
	return s, nil
}
