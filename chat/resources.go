package chat

import "slices"

// resources are the sessions bound for one bare JID, each entry with its
// resource. Most accounts have one or two: a slice costs a pointer per
// session where a map of one entry cost about 250 bytes (its header and a
// group of eight slots), held by every idle session.
type resources []*entry

// get returns the entry bound to res, or nil.
func (rs resources) get(res string) *entry {
	for _, e := range rs {
		if e.res == res {
			return e
		}
	}
	return nil
}

// put binds e in place of any entry of its resource and returns the
// resources.
func (rs resources) put(e *entry) resources {
	for i, x := range rs {
		if x.res == e.res {
			rs[i] = e
			return rs
		}
	}
	return append(rs, e)
}

// without returns the resources without the entry bound to res.
func (rs resources) without(res string) resources {
	return slices.DeleteFunc(rs, func(e *entry) bool { return e.res == res })
}
