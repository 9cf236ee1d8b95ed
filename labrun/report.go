package labrun

import (
	"encoding/json"
	"encoding/xml"
	"fmt"
	"io"
	"os"
	"strings"
	"text/tabwriter"
)

// Report is what a run found: the JSON file holds it whole.
type Report struct {
	Client   []string `json:"client"`
	Protocol string   `json:"protocol"` // "xmpp" or "irc"
	Label    string   `json:"label"`
	State    string   `json:"state_dir,omitempty"` // kept with --keep
	Results  []Result `json:"results"`
}

// ExitCode is the run's: 0 when nothing failed, 1 when something failed,
// 2 when only inconclusive results stand in the way (or the client never
// connected at all: the command is probably wrong).
func (r *Report) ExitCode() int {
	code, connected := 0, false
	for _, res := range r.Results {
		connected = connected || len(res.Connections) > 0
		switch res.Verdict {
		case "fail":
			return 1
		case "inconclusive":
			code = 2
		}
	}
	if !connected && len(r.Results) > 0 {
		return 2
	}
	return code
}

// writeScorecard prints the table a tester reads.
func (r *Report) writeScorecard(w io.Writer) {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "PROFILE\tVERDICT\tFLAGS\tWHAT THIS CLIENT DID\tA CORRECT CLIENT")
	for _, res := range r.Results {
		flags := strings.Join(res.Flags, ",")
		if flags == "" {
			flags = "-"
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\n", res.Profile, strings.ToUpper(res.Verdict), flags, oneLine(res.Reason, 110), oneLine(res.Correct, 70))
	}
	tw.Flush()
	counts := map[string]int{}
	for _, res := range r.Results {
		counts[res.Verdict]++
	}
	fmt.Fprintf(w, "\n%d profiles: %d pass, %d fail, %d inconclusive, %d not exercised\n",
		len(r.Results), counts["pass"], counts["fail"], counts["inconclusive"], counts["not-exercised"])
}

func oneLine(s string, n int) string {
	s = strings.Join(strings.Fields(s), " ")
	if len(s) > n {
		return s[:n-1] + "…"
	}
	return s
}

// writeJSON writes the whole report.
func (r *Report) writeJSON(path string) error {
	b, err := json.MarshalIndent(r, "", "  ")
	if err != nil {
		return err
	}
	return os.WriteFile(path, append(b, '\n'), 0o644)
}

// JUnit XML, as CI systems read it: a test case per profile; a failure is
// a <failure>, an inconclusive result an <error>, a profile not exercised
// is <skipped>.
type junitSuite struct {
	XMLName  xml.Name    `xml:"testsuite"`
	Name     string      `xml:"name,attr"`
	Tests    int         `xml:"tests,attr"`
	Failures int         `xml:"failures,attr"`
	Errors   int         `xml:"errors,attr"`
	Skipped  int         `xml:"skipped,attr"`
	Cases    []junitCase `xml:"testcase"`
}

type junitCase struct {
	Name      string        `xml:"name,attr"`
	ClassName string        `xml:"classname,attr"`
	Time      float64       `xml:"time,attr"`
	Failure   *junitMessage `xml:"failure,omitempty"`
	Error     *junitMessage `xml:"error,omitempty"`
	Skipped   *junitMessage `xml:"skipped,omitempty"`
	SystemOut string        `xml:"system-out,omitempty"`
}

type junitMessage struct {
	Message string `xml:"message,attr"`
	Text    string `xml:",chardata"`
}

func (r *Report) writeJUnit(path string) error {
	s := junitSuite{Name: "jabberd lab (" + r.Protocol + ")", Tests: len(r.Results)}
	for _, res := range r.Results {
		c := junitCase{Name: res.Profile, ClassName: "jabberd.lab." + r.Protocol, Time: res.Duration.Seconds(), SystemOut: res.Client.Output}
		msg := &junitMessage{Message: res.Reason, Text: "flags: " + strings.Join(res.Flags, ", ") + "\ncorrect client: " + res.Correct}
		switch res.Verdict {
		case "fail":
			c.Failure, s.Failures = msg, s.Failures+1
		case "inconclusive":
			c.Error, s.Errors = msg, s.Errors+1
		case "not-exercised":
			c.Skipped, s.Skipped = msg, s.Skipped+1
		}
		s.Cases = append(s.Cases, c)
	}
	b, err := xml.MarshalIndent(s, "", "  ")
	if err != nil {
		return err
	}
	return os.WriteFile(path, append([]byte(xml.Header), append(b, '\n')...), 0o644)
}
