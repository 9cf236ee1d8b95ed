package lab

import (
	"mime"
	"net/http"
	"time"
)

// Transcripts as JSON lines, the format of [lab] transcript_dir
// (Transcript.MarshalJSONL: one object per record, then {"summary": …}):
//
//	GET /api/connections/{id}/transcript.jsonl  one connection's
//	GET /api/transcripts.jsonl                  every matching connection's,
//	                                            one after the other, newest first

// jsonlType is the content type of a JSON-lines download.
const jsonlType = "application/x-ndjson"

// writeSlack is how long a write may take once an answer is ready (the
// status server's own WriteTimeout).
const writeSlack = 30 * time.Second

// attachment sets the headers of a download named name.
func attachment(w http.ResponseWriter, name string) {
	w.Header().Set("Content-Type", jsonlType)
	w.Header().Set("Content-Disposition", mime.FormatMediaType("attachment", map[string]string{"filename": name}))
}

func (s *status) apiTranscript(w http.ResponseWriter, r *http.Request) {
	if err := checkParams(r.URL.Query()); err != nil {
		writeJSON(w, http.StatusBadRequest, APIError{Error: err.Error()})
		return
	}
	id := r.PathValue("id")
	t, ok := s.rec.Get(id)
	if !ok {
		writeJSON(w, http.StatusNotFound, APIError{Error: s.unknown(id)})
		return
	}
	attachment(w, id+".jsonl")
	_, _ = w.Write(t.MarshalJSONL())
}

func (s *status) apiTranscripts(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	err := checkParams(q, listParams...)
	var f connFilter
	if err == nil {
		f, err = parseFilter(q, time.Now())
	}
	var p paging
	if err == nil {
		p, err = parsePaging(q, 0)
	}
	var rows []Summary
	if err == nil {
		rows, _, err = s.selectConns(f).page(p)
	}
	if err != nil {
		writeJSON(w, http.StatusBadRequest, APIError{Error: err.Error()})
		return
	}
	attachment(w, "transcripts.jsonl")
	w.WriteHeader(http.StatusOK)
	rc := http.NewResponseController(w)
	for _, sum := range rows {
		if r.Context().Err() != nil {
			return // the client has gone
		}
		t, ok := s.rec.Get(sum.ID)
		if !ok {
			continue // dropped from the recent ones since the list was made
		}
		// Every transcript gets its own time to be written: a long
		// download is not cut by the server's WriteTimeout.
		_ = rc.SetWriteDeadline(time.Now().Add(writeSlack))
		if _, err := w.Write(t.MarshalJSONL()); err != nil {
			return
		}
	}
}

// maxWait bounds ?wait= of GET /api/connections/{id}.
const maxWait = 5 * time.Minute

// parseWait reads ?wait=: a Go duration from 0 to maxWait.
func parseWait(v string) (time.Duration, error) {
	if v == "" {
		return 0, nil
	}
	d, err := time.ParseDuration(v)
	if err != nil || d < 0 || d > maxWait {
		return 0, badQuery("wait %q: a duration from 0 to %v (30s, 2m)", v, maxWait)
	}
	return d, nil
}

// waitDone blocks until t has ended, d has passed or the request is over
// (the client went away, the server shuts down). The connection's write
// deadline is moved past d, so the server's WriteTimeout does not cut the
// answer. (Its ReadTimeout does not apply: net/http clears the read
// deadline while a handler runs, to notice a client that goes away.)
func waitDone(w http.ResponseWriter, r *http.Request, t *Transcript, d time.Duration) {
	if d <= 0 {
		return
	}
	select {
	case <-t.Done():
		return
	default:
	}
	rc := http.NewResponseController(w)
	_ = rc.SetWriteDeadline(time.Now().Add(d + writeSlack))
	timer := time.NewTimer(d)
	defer timer.Stop()
	select {
	case <-t.Done():
	case <-timer.C:
	case <-r.Context().Done():
	}
}
