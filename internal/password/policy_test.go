package password

import (
	"errors"
	"strings"
	"testing"
)

// phrase returns the first n runes of an endlessly repeated passphrase that
// every rule accepts.
func phrase(n int) string {
	const p = "correct horse battery staple "
	return strings.Repeat(p, n/len(p)+1)[:n]
}

func TestValidate(t *testing.T) {
	alice := Context{Email: "alice@example.com", Issuer: "https://auth.example.com/"}
	tests := []struct {
		name string
		pw   string
		c    Context
		want error
	}{
		// Length.
		{"empty", "", Context{}, ErrTooShort},
		{"7 runes", "kdjfuey", Context{}, ErrTooShort},
		{"8 runes", "kdjfueyx", Context{}, nil},
		{"7 cyrillic runes in 14 bytes", "пароль1", Context{}, ErrTooShort},
		{"8 cyrillic runes in 16 bytes", "пароль12", Context{}, nil},
		{"8 emoji in 32 bytes", "🔐🔑🚪🐈🔐🔑🚪🐈", Context{}, nil},
		{"1024 runes", phrase(MaxLength), Context{}, nil},
		{"1024 emoji in 4096 bytes", strings.Repeat("🔐🔑🚪🐈", MaxLength/4), Context{}, nil},
		{"1025 runes", phrase(MaxLength + 1), Context{}, ErrTooLong},
		{"1025 cyrillic runes", strings.Repeat("ж", MaxLength+1), Context{}, ErrTooLong},

		// The email, and common passwords (checked before the other rules,
		// so their errors are unchanged).
		{"the email", "ada@example.com", Context{Email: "ada@example.com"}, ErrIsEmail},
		{"the email, other case", "Ada@Example.COM", Context{Email: "ada@example.com"}, ErrIsEmail},
		{"the email, spaces around", " ada@example.com ", Context{Email: "ada@example.com"}, ErrIsEmail},
		{"common", "password1", Context{}, ErrCommon},
		{"common, other case", "PassWord1", Context{}, ErrCommon},
		{"common 8-digit", "12345678", Context{}, ErrCommon},
		{"common keyboard row", "qwertyuiop", Context{}, ErrCommon},

		// Repetitive.
		{"four in a row", "xaaaay12", Context{}, ErrRepetitive},
		{"four in a row at the end", "xy12zzzz", Context{}, ErrRepetitive},
		{"four in a row, other case", "xaAaAy12", Context{}, ErrRepetitive},
		{"four spaces in a row", "kd    fu", Context{}, ErrRepetitive},
		{"four cyrillic in a row", "мышшшшка", Context{}, ErrRepetitive},
		{"three in a row", "xaaay12b", Context{}, nil},
		{"one character", "aaaaaaaaaaaa", Context{}, ErrRepetitive},
		{"three characters", "abcabcabcabc", Context{}, ErrRepetitive},
		{"two characters", "xyxyxyxyxy", Context{}, ErrRepetitive},
		{"three characters, other case", "AbCaBcAbCabc", Context{}, ErrRepetitive},
		{"three characters after trimming", "  ab.ab.ab.  ", Context{}, ErrRepetitive},
		{"four characters", "abcxabcx", Context{}, nil},
		{"three emoji", "🔐🔑🚪🔐🔑🚪🔐🔑", Context{}, ErrRepetitive},

		// Sequential.
		{"ascending letters", "xyabcd12", Context{}, ErrSequential},
		{"descending letters", "dcba-k9x", Context{}, ErrSequential},
		{"ascending digits", "my1234pw", Context{}, ErrSequential},
		{"descending digits", "pw9876xy", Context{}, ErrSequential},
		{"letters, other case", "xxAbCdyy", Context{}, ErrSequential},
		{"alphabet", "abcdefghijk", Context{}, ErrSequential},
		{"long digit run", "1234567890123", Context{}, ErrSequential},
		{"end of the alphabet", "k9!wxyz!", Context{}, ErrSequential},
		{"three in a run", "abc-xyz-123", Context{}, nil},
		{"runs broken by spaces", "ab cd ef gh", Context{}, nil},
		{"digits do not wrap", "pw8901pw", Context{}, nil},
		{"number row", "pw7890pw", Context{}, ErrSequential},
		{"number row backwards", "pw0987pw", Context{}, ErrSequential},
		{"keyboard row", "xqwert-7", Context{}, ErrSequential},
		{"keyboard row backwards", "lkjhg557", Context{}, ErrSequential},
		{"home row", "k9asdfg!", Context{}, ErrSequential},
		{"bottom row", "zxcvb!88", Context{}, ErrSequential},
		{"bottom row backwards", "88mnbvc!", Context{}, ErrSequential},
		{"three keys of a row", "qwe-asd-zxc", Context{}, nil},
		{"row ends do not join", "opasd-x9", Context{}, nil},
		{"keyboard columns do not count", "xqazwsx9", Context{}, nil},
		{"four keys of a row in a word", "my property 9", Context{}, nil},
		{"cyrillic letters do not count", "абвгдеёж", Context{}, nil},

		// Context-specific words.
		{"service name", "gatehouse2026", Context{}, ErrContext},
		{"service name, other case", "My GateHouse!", Context{}, ErrContext},
		{"service name in spaces", "  gatehouse  ", Context{}, ErrContext},
		{"issuer host", "auth.example.com rocks", alice, ErrContext},
		{"issuer host with a port", "shop.test:8443 is mine", Context{Issuer: "http://shop.test:8443"}, ErrContext},
		{"bare issuer host", "my shop.test key", Context{Issuer: "shop.test"}, ErrContext},
		{"issuer host labels are not words", "authentic example", alice, nil},
		{"contains the email", "alice@example.com!", alice, ErrContext},
		{"email local part", "alice123456", alice, ErrContext},
		{"email local part, other case", "ALICE in wonderland", alice, ErrContext},
		{"email local part pieces", "smithsonian 42", Context{Email: "john.smith@example.com"}, ErrContext},
		{"email domain is not a word", "example of mine", alice, nil},
		{"short local part", "bobcat lover", Context{Email: "bo@example.com"}, nil},
		{"first name", "marguerite1990", Context{Names: []string{"Marguerite"}}, ErrContext},
		{"last name parts", "jonesy!!2024", Context{Names: []string{"Smith-Jones"}}, ErrContext},
		{"user name", "ADA_L0VEL4CE rules", Context{Names: []string{"ada_l0vel4ce"}}, ErrContext},
		{"cyrillic name", "Мой Борис 1961", Context{Names: []string{"Борис"}}, ErrContext},
		{"short name", "annual report 77", Context{Names: []string{"Ann"}}, nil},
		{"empty names", "sunny meadow", Context{Names: []string{"", "  "}}, nil},

		// Real passphrases, with a full context.
		{"passphrase accepted", "correct horse battery staple", alice, nil},
		{"xkcd password", "Tr0ub4dor&3", alice, nil},
		{"cyrillic passphrase", "мой кот любит рыбу", alice, nil},
		{"german passphrase", "Ein Hund namens Bello!", alice, nil},
		{"french passphrase", "J'aime les crêpes au sucre", alice, nil},
		{"japanese passphrase", "東京タワーは赤いです", alice, nil},
		{"emoji passphrase", "my 🔐 is a 🐈", alice, nil},
		{"hyphenated words", "purple-monkey-dishwasher", alice, nil},
		{"sentence", "I like green tea in the morning.", alice, nil},
		{"random", "Zy9!kLm#4pQ", alice, nil},
		{"year", "summer of 1969 rocks", alice, nil},
		{"generated", "vaC7-mQ2x-Rp9t-Lw4k", alice, nil},
		{"words and digits", "blue42 green17 red8", alice, nil},
		{"initials", "AW loves jazz 88", alice, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if err := Validate(tt.pw, tt.c); !errors.Is(err, tt.want) {
				t.Errorf("Validate = %v, want %v", err, tt.want)
			}
		})
	}
}

func TestContextWords(t *testing.T) {
	tests := []struct {
		name string
		c    Context
		want []string
	}{
		{"empty", Context{}, []string{"gatehouse"}},
		{"issuer URL", Context{Issuer: "https://Auth.Example.com:8443/path"}, []string{"gatehouse", "auth.example.com"}},
		{"issuer host", Context{Issuer: "auth.example.com"}, []string{"gatehouse", "auth.example.com"}},
		{"email", Context{Email: "Mary-Jane.Doe@example.com"}, []string{"gatehouse", "mary-jane.doe@example.com", "mary-jane.doe", "mary", "jane"}},
		{"names", Context{Names: []string{"Ann", "Lee-Marvin", "", "gatehouse"}}, []string{"gatehouse", "lee-marvin", "marvin"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := tt.c.words(); strings.Join(got, "|") != strings.Join(tt.want, "|") {
				t.Errorf("words = %q, want %q", got, tt.want)
			}
		})
	}
}

func TestContextWordsBounded(t *testing.T) {
	c := Context{Email: strings.Repeat("word.", 100) + "x@example.com", Names: []string{strings.Repeat("name-", 1000)}}
	for i := range 100 {
		c.Names = append(c.Names, strings.Repeat(string(rune('a'+i%26)), 4+i))
	}
	if got := len(c.words()); got != maxContextWords {
		t.Errorf("%d context words, want the cap, %d", got, maxContextWords)
	}
}

func TestCheckLength(t *testing.T) {
	tests := []struct {
		name string
		pw   string
		want error
	}{
		{"empty is allowed at sign-in", "", nil},
		{"short is allowed at sign-in", "abc", nil},
		{"1024 runes", strings.Repeat("a", MaxLength), nil},
		{"1024 emoji in 4096 bytes", strings.Repeat("🔐", MaxLength), nil},
		{"1024 invalid bytes count as runes", strings.Repeat("\xff", MaxLength), nil},
		{"1025 runes", strings.Repeat("a", MaxLength+1), ErrTooLong},
		{"1025 cyrillic runes", strings.Repeat("ж", MaxLength+1), ErrTooLong},
		{"1025 invalid bytes", strings.Repeat("\xff", MaxLength+1), ErrTooLong},
		{"1 MiB", strings.Repeat("a", 1<<20), ErrTooLong},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if err := CheckLength(tt.pw); !errors.Is(err, tt.want) {
				t.Errorf("CheckLength = %v, want %v", err, tt.want)
			}
		})
	}
}

// BenchmarkValidate measures the longest passwords, which every rule reads
// to the end, with a context of many words.
func BenchmarkValidate(b *testing.B) {
	names := []string{"Mary-Jane Kowalczyk", "mj_kowalczyk", strings.Repeat("word.", 51)}
	for _, bc := range []struct {
		name string
		pw   string
	}{
		{"1024 ASCII runes", phrase(MaxLength)},
		{"1024 emoji", strings.Repeat("🔐🔑🚪🐈", MaxLength/4)},
		{"1024 runes, many words", strings.Repeat("wxy.", MaxLength/4)},
	} {
		b.Run(bc.name, func(b *testing.B) {
			c := Context{Email: "mary.jane@example.com", Issuer: "https://auth.example.com/", Names: append(names, bc.pw)}
			for b.Loop() {
				_ = Validate(bc.pw, c)
			}
		})
	}
}
