package chat

import (
	lru "github.com/hashicorp/golang-lru/v2"
)

// blockCache keeps the blocklists of the most recently used accounts in
// memory (chat.blocklist_cache of them), so that routing a stanza — which
// asks whether either side blocks the other — reads no database. An
// account without a blocklist is remembered as an empty one. Every change
// goes through the router (changeBlocklist), which puts the new list here
// once it is committed; an account deletion drops its entry (Forget).
type blockCache struct {
	lists *lru.Cache[string, []string]
}

func newBlockCache(size int) *blockCache {
	lists, _ := lru.New[string, []string](max(size, 1)) // fails only for a size below 1
	return &blockCache{lists: lists}
}

// blocklist returns the account's blocklist, from memory or the store.
func (r *Router) blocklist(bd BlockData, local string) ([]string, error) {
	if list, ok := r.blockLists.lists.Get(local); ok {
		return list, nil
	}
	list, err := bd.Blocklist(local)
	if err != nil {
		return nil, err // not remembered: read again next time
	}
	// A change committed since the read has put its list here, and it
	// wins over what was read.
	if cur, ok, _ := r.blockLists.lists.PeekOrAdd(local, list); ok {
		return cur, nil
	}
	return list, nil
}

// Forget drops what the router remembers of an account's data (it was
// deleted).
func (r *Router) Forget(bare string) {
	if local := r.localOf(bareOf(bare)); local != "" {
		r.blockLists.lists.Remove(local)
	}
}
