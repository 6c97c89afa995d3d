package control

import (
	"bufio"
	"crypto/subtle"
	"encoding/base64"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/leased/leased/config"
)

// basicAuth is a loaded "authentication" map: the credentials Kea's basic
// HTTP authentication accepts, each as the base64 of "user:password" that
// arrives in the Authorization header.
type basicAuth struct {
	realm string
	creds []credential
}

type credential struct {
	encoded []byte // base64("user:password")
	user    string
}

// loadAuth resolves an authentication map: users and passwords given
// inline or read from files under Directory, as Kea reads them (the first
// line of the file; a password-file alone holds "user:password").
func loadAuth(a *config.Authentication) (*basicAuth, error) {
	if a == nil {
		return nil, nil
	}
	if a.Type != "" && a.Type != "basic" {
		return nil, fmt.Errorf("authentication: only basic HTTP authentication is supported: type is '%s'", a.Type)
	}
	ba := &basicAuth{realm: a.Realm}
	for i, c := range a.Clients {
		user, password := c.User, c.Password.Reveal()
		if c.User != "" && c.UserFile != "" {
			return nil, fmt.Errorf("authentication client %d: user and user-file are mutually exclusive", i)
		}
		if password != "" && c.PasswordFile != "" {
			return nil, fmt.Errorf("authentication client %d: password and password-file are mutually exclusive", i)
		}
		if c.UserFile != "" {
			u, err := readFirstLine(a.Directory, c.UserFile)
			if err != nil {
				return nil, fmt.Errorf("authentication client %d: user-file: %w", i, err)
			}
			if u == "" {
				return nil, fmt.Errorf("authentication client %d: user must not be empty from user-file '%s'", i, c.UserFile)
			}
			user = u
		}
		if c.PasswordFile != "" {
			content, err := readFirstLine(a.Directory, c.PasswordFile)
			if err != nil {
				return nil, fmt.Errorf("authentication client %d: password-file: %w", i, err)
			}
			if c.User == "" && c.UserFile == "" {
				u, p, ok := strings.Cut(content, ":")
				if !ok {
					return nil, fmt.Errorf("authentication client %d: can't find the user id part in password-file '%s'", i, c.PasswordFile)
				}
				user, password = u, p
			} else {
				password = content
			}
		}
		if user == "" {
			return nil, fmt.Errorf("authentication client %d: user is required", i)
		}
		if strings.Contains(user, ":") {
			return nil, fmt.Errorf("authentication client %d: user must not contain a ':': '%s'", i, user)
		}
		enc := base64.StdEncoding.EncodeToString([]byte(user + ":" + password))
		ba.creds = append(ba.creds, credential{encoded: []byte(enc), user: user})
	}
	return ba, nil
}

// readFirstLine reads the first line of name, relative to dir as Kea
// joins them (a leading "/" of name is dropped).
func readFirstLine(dir, name string) (string, error) {
	path := filepath.Join(dir, strings.TrimPrefix(name, "/"))
	if dir == "" {
		path = name
	}
	fi, err := os.Stat(path)
	if err != nil {
		return "", fmt.Errorf("expected a file at path '%s': %w", path, err)
	}
	if !fi.Mode().IsRegular() {
		return "", fmt.Errorf("expected '%s' to be a regular file", path)
	}
	f, err := os.Open(path)
	if err != nil {
		return "", err
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	if sc.Scan() {
		return sc.Text(), nil
	}
	return "", sc.Err()
}

// check returns the user named by an Authorization header value and
// whether it matched a credential. With no clients configured every
// request passes, as in Kea. Every credential is compared, in constant
// time, so the time taken does not tell which one nearly matched.
func (a *basicAuth) check(header string) (string, bool) {
	if len(a.creds) == 0 {
		return "", true
	}
	v := strings.TrimSpace(header)
	if len(v) < 8 || !strings.EqualFold(v[:5], "basic") {
		return "", false
	}
	got := []byte(strings.TrimSpace(v[5:]))
	user, ok := "", false
	for _, c := range a.creds {
		if subtle.ConstantTimeCompare(got, c.encoded) == 1 {
			user, ok = c.user, true
		}
	}
	return user, ok
}
