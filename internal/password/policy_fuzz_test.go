package password

import (
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/gatehouse/gatehouse/internal/password/breached"
)

// FuzzValidate checks Validate against properties that hold for every
// input, and its repetition and sequence rules against naive versions that
// look at every window of runLength runes.
func FuzzValidate(f *testing.F) {
	for _, seed := range [][3]string{
		{"correct horse battery staple", "alice@example.com", "Alice"},
		{"Tr0ub4dor&3", "", ""},
		{"мой кот любит рыбу", "борис@example.com", "Борис"},
		{"xaaaay12", "", ""},
		{"abcabcabcabc", "", ""},
		{"pw7890pw", "", ""},
		{"lkjh5577", "", ""},
		{"gatehouse2026", "", ""},
		{"alice123456", "alice@example.com", ""},
		{"ada@example.com", "ada@example.com", ""},
		{"password1", "", ""},
		{phrase(MaxLength + 1), "", ""},
		{"\xff\xff\xff\xff\xff\xff\xff\xff", "", ""},
	} {
		f.Add(seed[0], seed[1], seed[2])
	}
	sentinels := []error{nil, ErrTooShort, ErrTooLong, ErrIsEmail, ErrCommon, ErrContext, ErrRepetitive, ErrSequential}
	f.Fuzz(func(t *testing.T, pw, email, name string) {
		c := Context{Email: email, Issuer: "https://auth.example.com/", Names: []string{name}}
		err := Validate(pw, c)
		if again := Validate(pw, c); again != err {
			t.Fatalf("Validate = %v, then %v", err, again)
		}
		known := false
		for _, s := range sentinels {
			known = known || err == s
		}
		if !known {
			t.Fatalf("Validate = %v, not one of the policy errors", err)
		}
		runes := utf8.RuneCountInString(pw)
		if (runes > MaxLength) != (err == ErrTooLong) {
			t.Fatalf("%d runes: Validate = %v", runes, err)
		}
		if runes < MinLength && err != ErrTooShort {
			t.Fatalf("%d runes: Validate = %v, want ErrTooShort", runes, err)
		}
		if err == nil && breached.Contains(pw) {
			t.Fatal("Validate accepted a common password")
		}

		// The rules that come after the email and the list agree with
		// the naive versions, in their order.
		if err == nil || err == ErrRepetitive || err == ErrSequential {
			folded := strings.ToLower(strings.TrimSpace(pw))
			rep, seq := naiveRepetitive(folded), naiveSequential(folded)
			if (err == ErrRepetitive) != rep || (err == ErrSequential) != (!rep && seq) {
				t.Fatalf("Validate = %v; naive: repetitive %v, sequential %v", err, rep, seq)
			}
		}

		// A context word anywhere makes any password unacceptable.
		if err := Validate(pw+"GateHouse", c); err == nil {
			t.Fatal("Validate accepted a password containing the service name")
		}
		if err := Validate("x"+pw, Context{Names: []string{pw}}); err == nil && utf8.RuneCountInString(strings.TrimSpace(pw)) >= minContextWord {
			t.Fatal("Validate accepted a password containing the name")
		}

		// Case does not matter (for ASCII, where upper and lower case map
		// one to one).
		if isASCII(pw) && isASCII(email) && isASCII(name) {
			if upper := Validate(strings.ToUpper(pw), c); upper != err {
				t.Fatalf("Validate = %v, and %v in upper case", err, upper)
			}
		}
	})
}

func isASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= utf8.RuneSelf {
			return false
		}
	}
	return true
}

// naiveRepetitive is repetitive, by looking at every window of runLength
// runes and counting distinct runes in a map.
func naiveRepetitive(s string) bool {
	rs := []rune(s)
	distinct := map[rune]bool{}
	for _, r := range rs {
		distinct[r] = true
	}
	if len(distinct) <= maxDistinctRefused {
		return true
	}
	for i := 0; i+runLength <= len(rs); i++ {
		same := true
		for _, r := range rs[i+1 : i+runLength] {
			same = same && r == rs[i]
		}
		if same {
			return true
		}
	}
	return false
}

// naiveSequential is sequential, by looking for every window of runLength
// runes (keyboardRunLength on a letter row) in the rows written out both
// ways.
func naiveSequential(s string) bool {
	rows := []string{
		"abcdefghijklmnopqrstuvwxyz", "zyxwvutsrqponmlkjihgfedcba",
		"0123456789", "9876543210", "1234567890", "0987654321",
	}
	letterRows := []string{"qwertyuiop", "poiuytrewq", "asdfghjkl", "lkjhgfdsa", "zxcvbnm", "mnbvcxz"}
	rs := []rune(s)
	in := func(rows []string, n int) bool {
		for i := 0; i+n <= len(rs); i++ {
			w := string(rs[i : i+n])
			for _, row := range rows {
				if strings.Contains(row, w) {
					return true
				}
			}
		}
		return false
	}
	return in(rows, runLength) || in(letterRows, keyboardRunLength)
}
