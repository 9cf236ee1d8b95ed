// Package transcript reads the one transcript language both protocol
// machines are tested in (testdata/transcripts for XMPP, testdata/irc for
// IRC): a file of settings and steps, each step a kind letter and a
// payload. What a kind means is the test's; the syntax is one:
//
//	# comment
//	@ key=value ...   settings; a key may be given again (values in order)
//	K: payload        a step of kind K; a "quoted" payload is Go-unquoted
//	                  (Quoted: raw bytes); {x*N} stands for N times x
package transcript

import (
	"bufio"
	"bytes"
	"fmt"
	"os"
	"regexp"
	"strconv"
	"strings"
)

// Step is one K: line.
type Step struct {
	Line   int    // line number in the file
	Kind   string // the letter before the colon
	Text   string // the payload, unquoted and with repeats expanded
	Quoted bool   // the payload was "quoted": raw bytes
}

// File is a parsed transcript.
type File struct {
	Opts  map[string][]string
	Steps []Step
}

// Opt is the last value given for key, "" when none.
func (f *File) Opt(key string) string {
	if v := f.Opts[key]; len(v) > 0 {
		return v[len(v)-1]
	}
	return ""
}

var repeat = regexp.MustCompile(`\{(.)\*(\d+)\}`)

// Read parses the transcript at path.
func Read(path string) (*File, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	f := &File{Opts: map[string][]string{}}
	sc := bufio.NewScanner(bytes.NewReader(data))
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for n := 1; sc.Scan(); n++ {
		line := sc.Text()
		switch {
		case strings.TrimSpace(line) == "", strings.HasPrefix(line, "#"):
		case strings.HasPrefix(line, "@ "):
			for _, kv := range strings.Fields(line[2:]) {
				k, v, _ := strings.Cut(kv, "=")
				f.Opts[k] = append(f.Opts[k], v)
			}
		case len(line) >= 2 && line[1] == ':':
			s := Step{Line: n, Kind: line[:1], Text: strings.TrimPrefix(line[2:], " ")}
			if strings.HasPrefix(s.Text, `"`) {
				u, err := strconv.Unquote(s.Text)
				if err != nil {
					return nil, fmt.Errorf("%s:%d: bad quoted payload: %w", path, n, err)
				}
				s.Text, s.Quoted = u, true
			}
			s.Text = repeat.ReplaceAllStringFunc(s.Text, func(r string) string {
				m := repeat.FindStringSubmatch(r)
				k, _ := strconv.Atoi(m[2])
				return strings.Repeat(m[1], k)
			})
			f.Steps = append(f.Steps, s)
		default:
			return nil, fmt.Errorf("%s:%d: cannot read line %q", path, n, line)
		}
	}
	return f, sc.Err()
}
