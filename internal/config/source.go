package config

import (
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
)

// maxSecretFile bounds what a <NAME>_FILE is read for: a secret is a
// line, and a mistake such as /dev/zero must not hang the start.
const maxSecretFile = 64 << 10

// source reads the environment. A secret's value may come instead from
// the file its <NAME>_FILE variable names (a mounted Kubernetes or Docker
// secret), never from both. Each name is read once, so each problem is
// reported once, in errs.
type source struct {
	getenv func(string) string
	read   map[string]string
	errs   []error
}

func newSource(getenv func(string) string) *source {
	return &source{getenv: getenv, read: map[string]string{}}
}

func (s *source) get(name string) string {
	if v, ok := s.read[name]; ok {
		return v
	}
	v := s.lookup(name)
	s.read[name] = v
	return v
}

func (s *source) lookup(name string) string {
	v := s.getenv(name)
	if !secretName(name) {
		return v
	}
	fileVar := name + fileSuffix
	path := s.getenv(fileVar)
	if path == "" {
		return v
	}
	if v != "" {
		s.errs = append(s.errs, fmt.Errorf("%s and %s: set one, not both", name, fileVar))
		return v
	}
	v, err := readSecretFile(path)
	if err != nil {
		// The error names the variable and the path, never the content.
		s.errs = append(s.errs, fmt.Errorf("%s: %w", fileVar, err))
		return ""
	}
	return v
}

// fileSuffix makes a secret's file variable: GATEHOUSE_JWT_SECRET_FILE.
const fileSuffix = "_FILE"

// readSecretFile returns the file's content less its trailing newline.
func readSecretFile(path string) (string, error) {
	f, err := os.Open(path)
	if err != nil {
		return "", err
	}
	defer f.Close()
	b, err := io.ReadAll(io.LimitReader(f, maxSecretFile+1))
	if err != nil {
		return "", err
	}
	if len(b) > maxSecretFile {
		return "", fmt.Errorf("%s is larger than %d KiB", path, maxSecretFile>>10)
	}
	v := strings.TrimRight(string(b), "\r\n")
	if v == "" {
		return "", errors.New(path + " is empty")
	}
	return v, nil
}

// secretName reports whether the variable holds a secret, and so also
// accepts a <NAME>_FILE form: a secret setting, or a provider's client
// secret.
func secretName(name string) bool {
	for _, s := range settings {
		if s.Name == name {
			return s.Secret
		}
	}
	return strings.HasPrefix(name, providerPrefix) && strings.HasSuffix(name, "_CLIENT_SECRET")
}
