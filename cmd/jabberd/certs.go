package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"jabberd/certs"
)

// Names in this file and in certs_issue.go and certs_show.go start with
// "certs": package main is shared with the other commands.

const (
	certsMaxDays        = 100 * 365 // keeps days*24h far from time.Duration overflow
	certsAppleLeafLimit = 825       // days; longer server certs are rejected by Apple clients
)

const certsUsage = `usage: jabberd certs <command> [flags] [args]

commands:
  ca      -out DIR [-cn NAME] [-key ecdsa|rsa] [-days N] [-force]
          create a lab CA: DIR/ca.crt, DIR/ca.key
  server  -ca DIR -out PREFIX [-key ecdsa|rsa] [-days N] [-force] NAME...
          issue a server certificate for DNS names and IP addresses: PREFIX.crt, PREFIX.key
  client  -ca DIR -out PREFIX [-key ecdsa|rsa] [-days N] [-force] JID
          issue a client certificate carrying the bare JID as xmppAddr: PREFIX.crt, PREFIX.key
  show    FILE...
          print subject, issuer, validity, SANs (with xmppAddr) and key type

Flags go before positional arguments. Run "jabberd certs <command> -h" for details.
`

// runCerts implements `jabberd certs ...`. It returns the process exit code.
//
// args are the arguments after "certs": args[0] is the subcommand (ca,
// server, client, show). Exit codes: 0 success, 1 runtime failure (the
// message names the file and the reason), 2 usage error.
func runCerts(args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		fmt.Fprint(stderr, certsUsage)
		return 2
	}
	switch args[0] {
	case "ca":
		return certsCA(args[1:], stdout, stderr)
	case "server":
		return certsServer(args[1:], stdout, stderr)
	case "client":
		return certsClient(args[1:], stdout, stderr)
	case "show":
		return certsShow(args[1:], stdout, stderr)
	case "help", "-h", "-help", "--help":
		fmt.Fprint(stderr, certsUsage)
		return 0
	}
	fmt.Fprintf(stderr, "jabberd certs: unknown command %q\n", args[0])
	fmt.Fprint(stderr, certsUsage)
	return 2
}

// certsCmd is one certs subcommand being run: its flags, and where its
// output and complaints go.
type certsCmd struct {
	name           string
	fs             *flag.FlagSet
	stdout, stderr io.Writer
}

func newCertsCmd(name, synopsis string, stdout, stderr io.Writer) *certsCmd {
	fs := flag.NewFlagSet("jabberd certs "+name, flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprintf(stderr, "usage: jabberd certs %s %s\n", name, synopsis)
		fs.PrintDefaults()
	}
	return &certsCmd{name: name, fs: fs, stdout: stdout, stderr: stderr}
}

// parse returns -1 to continue, or the exit code to return: -h is a
// successful request for help, anything else flag rejects is a usage
// error (flag has already printed the message and usage).
func (c *certsCmd) parse(args []string) int {
	if err := c.fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0
		}
		return 2
	}
	return -1
}

// usageErr prints a specific complaint followed by the usage text.
func (c *certsCmd) usageErr(format string, a ...any) int {
	fmt.Fprintf(c.stderr, "jabberd certs %s: %s\n", c.name, fmt.Sprintf(format, a...))
	c.fs.Usage()
	return 2
}

// fail reports a runtime error. Errors from package certs already name
// the file and the reason.
func (c *certsCmd) fail(err error) int {
	fmt.Fprintf(c.stderr, "jabberd certs %s: %v\n", c.name, err)
	return 1
}

// certsIssueFlags are the flags common to the commands that make a
// certificate.
type certsIssueFlags struct {
	key   *string
	days  *int
	force *bool
}

func (c *certsCmd) issueFlags(defaultDays string) certsIssueFlags {
	return certsIssueFlags{
		key:   c.fs.String("key", "ecdsa", "key type: ecdsa (P-256), rsa (2048 bits) or rsa-4096"),
		days:  c.fs.Int("days", 0, "validity in days (0: "+defaultDays+")"),
		force: c.fs.Bool("force", false, "overwrite existing files"),
	}
}

// options validates -key/-days; the error is a usage error.
func (f certsIssueFlags) options() (certs.Options, error) {
	kt, err := certs.ParseKeyType(*f.key)
	if err != nil {
		return certs.Options{}, fmt.Errorf("-key: %v", err)
	}
	if *f.days < 0 || *f.days > certsMaxDays {
		return certs.Options{}, fmt.Errorf("-days %d out of range (0..%d)", *f.days, certsMaxDays)
	}
	return certs.Options{KeyType: kt, Validity: time.Duration(*f.days) * 24 * time.Hour}, nil
}

// write makes a certificate with create and saves it to certPath and
// keyPath, then says what it wrote; it returns the exit code.
func (c *certsCmd) write(force bool, certPath, keyPath string, create func() (*certs.Pair, error)) int {
	if err := certsRefuseOverwrite(force, certPath, keyPath); err != nil {
		return c.fail(err)
	}
	p, err := create()
	if err != nil {
		return c.fail(err)
	}
	if err := p.Save(certPath, keyPath); err != nil {
		return c.fail(err)
	}
	fmt.Fprintf(c.stdout, "wrote %s\nwrote %s\n", certPath, keyPath)
	fmt.Fprintf(c.stdout, "  %s, %s, valid until %s\n", p.Cert.Subject.CommonName,
		certs.DescribePublicKey(p.Cert.PublicKey), p.Cert.NotAfter.UTC().Format(time.RFC3339))
	return 0
}

// certsRefuseOverwrite guards against replacing a CA or a key that has
// already been handed out; -force is the explicit opt-in.
func certsRefuseOverwrite(force bool, paths ...string) error {
	if force {
		return nil
	}
	for _, p := range paths {
		_, err := os.Stat(p)
		if err == nil {
			return fmt.Errorf("%s already exists; use -force to overwrite", p)
		}
		if !errors.Is(err, os.ErrNotExist) {
			return fmt.Errorf("stat %s: %v", p, err)
		}
	}
	return nil
}

// certsFlagsFirstHint explains the most common usage mistake: Go's flag
// package stops at the first positional argument.
func certsFlagsFirstHint(rest []string) string {
	for _, a := range rest {
		if strings.HasPrefix(a, "-") {
			return " (flags must come before positional arguments)"
		}
	}
	return ""
}
