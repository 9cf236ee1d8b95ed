package main

import (
	"errors"
	"fmt"
	"io"
	"path/filepath"
	"strings"

	"jabberd/certs"
)

// certsCA implements `jabberd certs ca`: a new lab CA in -out DIR.
func certsCA(args []string, stdout, stderr io.Writer) int {
	c := newCertsCmd("ca", "-out DIR [-cn NAME] [-key ecdsa|rsa] [-days N] [-force]", stdout, stderr)
	out := c.fs.String("out", "", "directory to write ca.crt and ca.key into (created if missing)")
	cn := c.fs.String("cn", "jabberd lab CA", "subject common name of the CA")
	f := c.issueFlags("3650")
	if code := c.parse(args); code >= 0 {
		return code
	}
	if c.fs.NArg() != 0 {
		return c.usageErr("unexpected arguments %q%s", c.fs.Args(), certsFlagsFirstHint(c.fs.Args()))
	}
	if *out == "" {
		return c.usageErr("-out DIR is required")
	}
	if strings.TrimSpace(*cn) == "" {
		return c.usageErr("-cn must not be empty")
	}
	opt, err := f.options()
	if err != nil {
		return c.usageErr("%v", err)
	}
	certPath, keyPath := filepath.Join(*out, certs.CACertFile), filepath.Join(*out, certs.CAKeyFile)
	return c.write(*f.force, certPath, keyPath, func() (*certs.Pair, error) {
		return certs.NewCA(*cn, opt)
	})
}

// certsServer implements `jabberd certs server`: a server certificate for
// the NAMEs, signed by the CA in -ca DIR.
func certsServer(args []string, stdout, stderr io.Writer) int {
	c, f := newCertsLeafCmd("server", "NAME...", stdout, stderr)
	certPath, keyPath, code := c.parseLeaf(args, f)
	if code >= 0 {
		return code
	}
	names := c.fs.Args()
	if len(names) == 0 {
		return c.usageErr("at least one NAME (DNS name or IP address) is required")
	}
	for _, n := range names {
		if err := certs.CheckServerName(n); err != nil {
			return c.usageErr("%v%s", err, certsFlagsFirstHint(names))
		}
	}
	opt, err := f.options()
	if err != nil {
		return c.usageErr("%v", err)
	}
	if *f.days > certsAppleLeafLimit {
		fmt.Fprintf(stderr, "jabberd certs %s: warning: Apple clients reject server certificates valid for more than %d days\n", c.name, certsAppleLeafLimit)
	}
	code = c.issue(f, certPath, keyPath, func(ca *certs.Pair) (*certs.Pair, error) {
		return certs.IssueServer(ca, names, opt)
	})
	if code == 0 {
		fmt.Fprintf(stdout, "  names: %s\n", strings.Join(names, ", "))
	}
	return code
}

// certsClient implements `jabberd certs client`: a client certificate
// carrying the bare JID, signed by the CA in -ca DIR.
func certsClient(args []string, stdout, stderr io.Writer) int {
	c, f := newCertsLeafCmd("client", "JID", stdout, stderr)
	certPath, keyPath, code := c.parseLeaf(args, f)
	if code >= 0 {
		return code
	}
	if c.fs.NArg() != 1 {
		return c.usageErr("want exactly one JID, got %d arguments%s", c.fs.NArg(), certsFlagsFirstHint(c.fs.Args()))
	}
	jid := c.fs.Arg(0)
	if err := certs.CheckBareJID(jid); err != nil {
		return c.usageErr("%v", err)
	}
	opt, err := f.options()
	if err != nil {
		return c.usageErr("%v", err)
	}
	code = c.issue(f, certPath, keyPath, func(ca *certs.Pair) (*certs.Pair, error) {
		return certs.IssueClient(ca, jid, opt)
	})
	if code == 0 {
		fmt.Fprintf(stdout, "  xmppAddr: %s\n", jid)
	}
	return code
}

// certsLeafFlags are the flags of the commands that issue a certificate
// signed by the lab CA (server and client).
type certsLeafFlags struct {
	caDir, out *string
	certsIssueFlags
}

// newCertsLeafCmd makes the command and flags of server or client;
// operands ends the synopsis.
func newCertsLeafCmd(name, operands string, stdout, stderr io.Writer) (*certsCmd, certsLeafFlags) {
	c := newCertsCmd(name, "-ca DIR -out PREFIX [-key ecdsa|rsa] [-days N] [-force] "+operands, stdout, stderr)
	return c, certsLeafFlags{
		caDir:           c.fs.String("ca", "", "directory holding ca.crt and ca.key"),
		out:             c.fs.String("out", "", "write PREFIX.crt and PREFIX.key"),
		certsIssueFlags: c.issueFlags("825"),
	}
}

// parseLeaf parses args into f, checks -ca and -out and returns the files
// to write with code -1; or the exit code to return, as parse does.
func (c *certsCmd) parseLeaf(args []string, f certsLeafFlags) (certPath, keyPath string, code int) {
	if code := c.parse(args); code >= 0 {
		return "", "", code
	}
	if *f.caDir == "" {
		return "", "", c.usageErr("-ca DIR is required")
	}
	certPath, keyPath, err := certsPrefixPaths(*f.out)
	if err != nil {
		return "", "", c.usageErr("%v", err)
	}
	return certPath, keyPath, -1
}

// issue loads the CA in -ca, signs a certificate with it and writes the
// certificate and its key.
func (c *certsCmd) issue(f certsLeafFlags, certPath, keyPath string, sign func(ca *certs.Pair) (*certs.Pair, error)) int {
	return c.write(*f.force, certPath, keyPath, func() (*certs.Pair, error) {
		ca, err := certs.Load(filepath.Join(*f.caDir, certs.CACertFile), filepath.Join(*f.caDir, certs.CAKeyFile))
		if err != nil {
			return nil, err
		}
		return sign(ca)
	})
}

// certsPrefixPaths turns -out PREFIX into the two file names. A PREFIX
// that already ends in .crt/.key is almost certainly a mistake
// (alice.crt.crt), so it is rejected rather than guessed at.
func certsPrefixPaths(prefix string) (string, string, error) {
	if prefix == "" {
		return "", "", errors.New("-out PREFIX is required")
	}
	if ext := filepath.Ext(prefix); ext == ".crt" || ext == ".key" {
		return "", "", fmt.Errorf("-out %s: give a prefix; .crt and .key are appended", prefix)
	}
	return prefix + ".crt", prefix + ".key", nil
}
