package muc

import (
	"strings"
	"sync"

	"jabberd/store"
)

// memStore is the Store of the tests: the rooms and their histories in
// maps.
type memStore struct {
	mu      sync.Mutex
	rooms   map[string][]byte
	history map[string][][]byte
	// gate, when set, holds every batch of history until it can receive.
	gate chan struct{}
}

func (m *memStore) SaveRoom(domain, name string, rec []byte) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.rooms == nil {
		m.rooms = map[string][]byte{}
	}
	m.rooms[domain+" "+name] = append([]byte(nil), rec...)
	return nil
}

func (m *memStore) DeleteRoom(domain, name string) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	delete(m.rooms, domain+" "+name)
	delete(m.history, domain+" "+name)
	return nil
}

func (m *memStore) Rooms(domain string) (map[string][]byte, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	out := map[string][]byte{}
	for k, v := range m.rooms {
		d, n, _ := strings.Cut(k, " ")
		if d == domain {
			out[n] = v
		}
	}
	return out, nil
}

func (m *memStore) AppendRoomHistory(domain, name string, rec []byte, keep int) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.history == nil {
		m.history = map[string][][]byte{}
	}
	h := append(m.history[domain+" "+name], append([]byte(nil), rec...))
	if n := len(h) - keep; n > 0 {
		h = h[n:]
	}
	m.history[domain+" "+name] = h
	return nil
}

func (m *memStore) AppendRoomHistories(writes []store.RoomHistoryWrite, keep int) error {
	if m.gate != nil {
		<-m.gate
	}
	for _, w := range writes {
		if w.Drop {
			m.mu.Lock()
			delete(m.history, w.Service+" "+w.Name)
			m.mu.Unlock()
			continue
		}
		if err := m.AppendRoomHistory(w.Service, w.Name, w.Rec, keep); err != nil {
			return err
		}
	}
	return nil
}

func (m *memStore) RoomHistory(domain, name string) ([][]byte, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.history[domain+" "+name], nil
}
