package main

import (
	"crypto/x509"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"

	"jabberd/certs"
)

// runCerts implements `jabberd certs ...`. It returns the process exit code.
//
// args are the arguments after "certs": args[0] is the subcommand (ca,
// server, client, show). Exit codes: 0 success, 1 runtime failure (the
// message names the file and the reason), 2 usage error.
//
// Everything lives inside this one function (as closures) on purpose:
// package main is shared with other files, and top-level helper names
// here could collide with theirs.
func runCerts(args []string, stdout, stderr io.Writer) int {
	const (
		maxDays        = 100 * 365 // keeps days*24h far from time.Duration overflow
		appleLeafLimit = 825       // days; longer server certs are rejected by Apple clients
	)

	topUsage := func() {
		fmt.Fprint(stderr, `usage: jabberd certs <command> [flags] [args]

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
`)
	}
	if len(args) == 0 {
		topUsage()
		return 2
	}

	// fail reports a runtime error. Errors from package certs already
	// name the file and the reason.
	fail := func(cmd string, err error) int {
		fmt.Fprintf(stderr, "jabberd certs %s: %v\n", cmd, err)
		return 1
	}

	newFlags := func(cmd, synopsis string) *flag.FlagSet {
		fs := flag.NewFlagSet("jabberd certs "+cmd, flag.ContinueOnError)
		fs.SetOutput(stderr)
		fs.Usage = func() {
			fmt.Fprintf(stderr, "usage: jabberd certs %s %s\n", cmd, synopsis)
			fs.PrintDefaults()
		}
		return fs
	}

	// usageErr prints a specific complaint followed by the usage text.
	usageErr := func(fs *flag.FlagSet, cmd, format string, a ...any) int {
		fmt.Fprintf(stderr, "jabberd certs %s: %s\n", cmd, fmt.Sprintf(format, a...))
		fs.Usage()
		return 2
	}

	// parse returns -1 to continue, or the exit code to return: -h is a
	// successful request for help, anything else flag rejects is a usage
	// error (flag has already printed the message and usage).
	parse := func(fs *flag.FlagSet, args []string) int {
		if err := fs.Parse(args); err != nil {
			if errors.Is(err, flag.ErrHelp) {
				return 0
			}
			return 2
		}
		return -1
	}

	// Common flags of the issuing commands.
	type issueFlags struct {
		key   *string
		days  *int
		force *bool
	}
	addIssueFlags := func(fs *flag.FlagSet, defaultDays string) issueFlags {
		return issueFlags{
			key:   fs.String("key", "ecdsa", "key type: ecdsa (P-256), rsa (2048 bits) or rsa-4096"),
			days:  fs.Int("days", 0, "validity in days (0: "+defaultDays+")"),
			force: fs.Bool("force", false, "overwrite existing files"),
		}
	}
	// options validates -key/-days; the error is a usage error.
	options := func(f issueFlags) (certs.Options, error) {
		kt, err := certs.ParseKeyType(*f.key)
		if err != nil {
			return certs.Options{}, fmt.Errorf("-key: %v", err)
		}
		if *f.days < 0 || *f.days > maxDays {
			return certs.Options{}, fmt.Errorf("-days %d out of range (0..%d)", *f.days, maxDays)
		}
		return certs.Options{KeyType: kt, Validity: time.Duration(*f.days) * 24 * time.Hour}, nil
	}

	// refuseOverwrite guards against replacing a CA or a key that has
	// already been handed out; -force is the explicit opt-in.
	refuseOverwrite := func(force bool, paths ...string) error {
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

	// prefixPaths turns -out PREFIX into the two file names. A PREFIX that
	// already ends in .crt/.key is almost certainly a mistake
	// (alice.crt.crt), so it is rejected rather than guessed at.
	prefixPaths := func(prefix string) (string, string, error) {
		if prefix == "" {
			return "", "", errors.New("-out PREFIX is required")
		}
		if ext := filepath.Ext(prefix); ext == ".crt" || ext == ".key" {
			return "", "", fmt.Errorf("-out %s: give a prefix; .crt and .key are appended", prefix)
		}
		return prefix + ".crt", prefix + ".key", nil
	}

	loadCA := func(dir string) (*certs.Pair, error) {
		return certs.Load(filepath.Join(dir, certs.CACertFile), filepath.Join(dir, certs.CAKeyFile))
	}

	// flagsFirstHint explains the most common usage mistake: Go's flag
	// package stops at the first positional argument.
	flagsFirstHint := func(rest []string) string {
		for _, a := range rest {
			if strings.HasPrefix(a, "-") {
				return " (flags must come before positional arguments)"
			}
		}
		return ""
	}

	wrote := func(p *certs.Pair, certPath, keyPath string) {
		fmt.Fprintf(stdout, "wrote %s\nwrote %s\n", certPath, keyPath)
		fmt.Fprintf(stdout, "  %s, %s, valid until %s\n", p.Cert.Subject.CommonName,
			certs.DescribePublicKey(p.Cert.PublicKey), p.Cert.NotAfter.UTC().Format(time.RFC3339))
	}

	cmdCA := func(args []string) int {
		const cmd = "ca"
		fs := newFlags(cmd, "-out DIR [-cn NAME] [-key ecdsa|rsa] [-days N] [-force]")
		out := fs.String("out", "", "directory to write ca.crt and ca.key into (created if missing)")
		cn := fs.String("cn", "jabberd lab CA", "subject common name of the CA")
		f := addIssueFlags(fs, "3650")
		if code := parse(fs, args); code >= 0 {
			return code
		}
		if fs.NArg() != 0 {
			return usageErr(fs, cmd, "unexpected arguments %q%s", fs.Args(), flagsFirstHint(fs.Args()))
		}
		if *out == "" {
			return usageErr(fs, cmd, "-out DIR is required")
		}
		if strings.TrimSpace(*cn) == "" {
			return usageErr(fs, cmd, "-cn must not be empty")
		}
		opt, err := options(f)
		if err != nil {
			return usageErr(fs, cmd, "%v", err)
		}
		certPath, keyPath := filepath.Join(*out, certs.CACertFile), filepath.Join(*out, certs.CAKeyFile)
		if err := refuseOverwrite(*f.force, certPath, keyPath); err != nil {
			return fail(cmd, err)
		}
		ca, err := certs.NewCA(*cn, opt)
		if err != nil {
			return fail(cmd, err)
		}
		if err := ca.Save(certPath, keyPath); err != nil {
			return fail(cmd, err)
		}
		wrote(ca, certPath, keyPath)
		return 0
	}

	cmdServer := func(args []string) int {
		const cmd = "server"
		fs := newFlags(cmd, "-ca DIR -out PREFIX [-key ecdsa|rsa] [-days N] [-force] NAME...")
		caDir := fs.String("ca", "", "directory holding ca.crt and ca.key")
		out := fs.String("out", "", "write PREFIX.crt and PREFIX.key")
		f := addIssueFlags(fs, "825")
		if code := parse(fs, args); code >= 0 {
			return code
		}
		if *caDir == "" {
			return usageErr(fs, cmd, "-ca DIR is required")
		}
		certPath, keyPath, err := prefixPaths(*out)
		if err != nil {
			return usageErr(fs, cmd, "%v", err)
		}
		names := fs.Args()
		if len(names) == 0 {
			return usageErr(fs, cmd, "at least one NAME (DNS name or IP address) is required")
		}
		for _, n := range names {
			if err := certs.CheckServerName(n); err != nil {
				return usageErr(fs, cmd, "%v%s", err, flagsFirstHint(names))
			}
		}
		opt, err := options(f)
		if err != nil {
			return usageErr(fs, cmd, "%v", err)
		}
		if *f.days > appleLeafLimit {
			fmt.Fprintf(stderr, "jabberd certs %s: warning: Apple clients reject server certificates valid for more than %d days\n", cmd, appleLeafLimit)
		}
		if err := refuseOverwrite(*f.force, certPath, keyPath); err != nil {
			return fail(cmd, err)
		}
		ca, err := loadCA(*caDir)
		if err != nil {
			return fail(cmd, err)
		}
		p, err := certs.IssueServer(ca, names, opt)
		if err != nil {
			return fail(cmd, err)
		}
		if err := p.Save(certPath, keyPath); err != nil {
			return fail(cmd, err)
		}
		wrote(p, certPath, keyPath)
		fmt.Fprintf(stdout, "  names: %s\n", strings.Join(names, ", "))
		return 0
	}

	cmdClient := func(args []string) int {
		const cmd = "client"
		fs := newFlags(cmd, "-ca DIR -out PREFIX [-key ecdsa|rsa] [-days N] [-force] JID")
		caDir := fs.String("ca", "", "directory holding ca.crt and ca.key")
		out := fs.String("out", "", "write PREFIX.crt and PREFIX.key")
		f := addIssueFlags(fs, "825")
		if code := parse(fs, args); code >= 0 {
			return code
		}
		if *caDir == "" {
			return usageErr(fs, cmd, "-ca DIR is required")
		}
		certPath, keyPath, err := prefixPaths(*out)
		if err != nil {
			return usageErr(fs, cmd, "%v", err)
		}
		if fs.NArg() != 1 {
			return usageErr(fs, cmd, "want exactly one JID, got %d arguments%s", fs.NArg(), flagsFirstHint(fs.Args()))
		}
		jid := fs.Arg(0)
		if err := certs.CheckBareJID(jid); err != nil {
			return usageErr(fs, cmd, "%v", err)
		}
		opt, err := options(f)
		if err != nil {
			return usageErr(fs, cmd, "%v", err)
		}
		if err := refuseOverwrite(*f.force, certPath, keyPath); err != nil {
			return fail(cmd, err)
		}
		ca, err := loadCA(*caDir)
		if err != nil {
			return fail(cmd, err)
		}
		p, err := certs.IssueClient(ca, jid, opt)
		if err != nil {
			return fail(cmd, err)
		}
		if err := p.Save(certPath, keyPath); err != nil {
			return fail(cmd, err)
		}
		wrote(p, certPath, keyPath)
		fmt.Fprintf(stdout, "  xmppAddr: %s\n", jid)
		return 0
	}

	keyUsageNames := []struct {
		bit  x509.KeyUsage
		name string
	}{
		{x509.KeyUsageDigitalSignature, "digitalSignature"},
		{x509.KeyUsageContentCommitment, "contentCommitment"},
		{x509.KeyUsageKeyEncipherment, "keyEncipherment"},
		{x509.KeyUsageDataEncipherment, "dataEncipherment"},
		{x509.KeyUsageKeyAgreement, "keyAgreement"},
		{x509.KeyUsageCertSign, "certSign"},
		{x509.KeyUsageCRLSign, "cRLSign"},
		{x509.KeyUsageEncipherOnly, "encipherOnly"},
		{x509.KeyUsageDecipherOnly, "decipherOnly"},
	}
	extUsageNames := map[x509.ExtKeyUsage]string{
		x509.ExtKeyUsageAny:             "any",
		x509.ExtKeyUsageServerAuth:      "serverAuth",
		x509.ExtKeyUsageClientAuth:      "clientAuth",
		x509.ExtKeyUsageCodeSigning:     "codeSigning",
		x509.ExtKeyUsageEmailProtection: "emailProtection",
		x509.ExtKeyUsageTimeStamping:    "timeStamping",
		x509.ExtKeyUsageOCSPSigning:     "OCSPSigning",
	}

	// showCert prints one certificate; it returns false if part of it
	// could not be decoded (a malformed SAN), which makes show exit 1.
	showCert := func(c *x509.Certificate, now time.Time) bool {
		ok := true
		line := func(label, value string) { fmt.Fprintf(stdout, "  %-11s %s\n", label+":", value) }
		line("subject", c.Subject.String())
		line("issuer", c.Issuer.String())
		line("serial", c.SerialNumber.Text(16))
		line("not before", c.NotBefore.UTC().Format(time.RFC3339))
		status := fmt.Sprintf("(%d days left)", int(c.NotAfter.Sub(now).Hours()/24))
		switch {
		case now.After(c.NotAfter):
			status = "(EXPIRED)"
		case now.Before(c.NotBefore):
			status = "(NOT YET VALID)"
		}
		line("not after", c.NotAfter.UTC().Format(time.RFC3339)+" "+status)
		line("key", certs.DescribePublicKey(c.PublicKey))
		if c.IsCA {
			ca := "yes"
			if c.MaxPathLen >= 0 && (c.MaxPathLen > 0 || c.MaxPathLenZero) {
				ca += fmt.Sprintf(" (max path length %d)", c.MaxPathLen)
			}
			line("CA", ca)
		}
		var ku []string
		for _, u := range keyUsageNames {
			if c.KeyUsage&u.bit != 0 {
				ku = append(ku, u.name)
			}
		}
		if len(ku) > 0 {
			line("key usage", strings.Join(ku, ", "))
		}
		var eku []string
		for _, u := range c.ExtKeyUsage {
			if n, found := extUsageNames[u]; found {
				eku = append(eku, n)
			} else {
				eku = append(eku, fmt.Sprintf("#%d", u))
			}
		}
		for _, oid := range c.UnknownExtKeyUsage {
			eku = append(eku, oid.String())
		}
		if len(eku) > 0 {
			line("ext usage", strings.Join(eku, ", "))
		}
		for _, d := range c.DNSNames {
			line("DNS", d)
		}
		for _, ip := range c.IPAddresses {
			line("IP", ip.String())
		}
		for _, e := range c.EmailAddresses {
			line("email", e)
		}
		for _, u := range c.URIs {
			line("URI", u.String())
		}
		addrs, err := certs.XMPPAddrs(c)
		if err != nil {
			line("xmppAddr", "error: "+err.Error())
			ok = false
		}
		for _, a := range addrs {
			line("xmppAddr", a)
		}
		for _, e := range c.Extensions {
			if e.Id.Equal(certs.OIDSubjectAltName) && e.Critical {
				line("SAN", "critical")
			}
		}
		return ok
	}

	cmdShow := func(args []string) int {
		const cmd = "show"
		fs := newFlags(cmd, "FILE...")
		if code := parse(fs, args); code >= 0 {
			return code
		}
		if fs.NArg() == 0 {
			return usageErr(fs, cmd, "at least one FILE is required")
		}
		// Keep going after a bad file so one typo does not hide the
		// rest, but still exit 1.
		code := 0
		now := time.Now()
		for _, path := range fs.Args() {
			list, err := certs.ReadCertificates(path)
			if err != nil {
				code = fail(cmd, err)
				continue
			}
			for i, c := range list {
				if len(list) > 1 {
					fmt.Fprintf(stdout, "%s [%d/%d]:\n", path, i+1, len(list))
				} else {
					fmt.Fprintf(stdout, "%s:\n", path)
				}
				if !showCert(c, now) {
					fmt.Fprintf(stderr, "jabberd certs %s: %s: malformed subjectAltName\n", cmd, path)
					code = 1
				}
			}
		}
		return code
	}

	switch args[0] {
	case "ca":
		return cmdCA(args[1:])
	case "server":
		return cmdServer(args[1:])
	case "client":
		return cmdClient(args[1:])
	case "show":
		return cmdShow(args[1:])
	case "help", "-h", "-help", "--help":
		topUsage()
		return 0
	}
	fmt.Fprintf(stderr, "jabberd certs: unknown command %q\n", args[0])
	topUsage()
	return 2
}
