package password

import (
	"strings"
	"unicode/utf8"
)

// runLength is how many repeated or consecutive characters make a password
// repetitive or sequential: "aaaa", "abcd", "4321". A run along a letter
// row of the keyboard must be one longer ("asdfg", "trewq"): four keys in
// a row are common in words ("property", "liberty", "strewn").
const runLength = 4

// keyboardRunLength is runLength for the letter rows of the keyboard.
const keyboardRunLength = runLength + 1

// maxDistinctRefused is the most different characters a repetitive
// password may be made of: "abcabcabcabc" has three.
const maxDistinctRefused = 3

// repetitive reports whether s holds one character runLength times in a
// row, or is made of at most maxDistinctRefused different characters. s is
// already lower-cased, so case does not count as a difference.
func repetitive(s string) bool {
	var distinct [maxDistinctRefused]rune
	n, many := 0, false
	prev, run := rune(-1), 0
	for _, r := range s {
		if r == prev {
			run++
			if run >= runLength {
				return true
			}
		} else {
			prev, run = r, 1
		}
		if many {
			continue
		}
		seen := false
		for _, d := range distinct[:n] {
			if d == r {
				seen = true
				break
			}
		}
		switch {
		case seen:
		case n == len(distinct):
			many = true
		default:
			distinct[n] = r
			n++
		}
	}
	return !many
}

// sequences are what a sequential password runs along, either way. Digits
// do not wrap around in the arithmetic sequence ("8901" is allowed), but 0
// follows 9 on the keyboard's number row, so "7890" and "0987" are runs.
// Only ASCII letters and digits count: other scripts have no keyboard row
// we can assume, and neighbouring code points there are rarely a pattern.
var sequences = [...]string{
	"abcdefghijklmnopqrstuvwxyz",
	"0123456789",
	"1234567890", // the number row
	"qwertyuiop", // firstLetterRow
	"asdfghjkl",
	"zxcvbnm",
}

// firstLetterRow is the index in sequences of the first letter row.
const firstLetterRow = 3

// sequential reports whether s holds runLength characters in a row that
// are consecutive in one of sequences, ascending or descending. s is
// already lower-cased. It looks at each rune once per sequence, so its
// cost is linear in len(s).
func sequential(s string) bool {
	// For each sequence: the position in it of the previous rune (-1 when
	// that rune is not in it), and the length of the ascending and the
	// descending run that ends there.
	var prev, up, down [len(sequences)]int
	for k := range prev {
		prev[k] = -1
	}
	for _, r := range s {
		for k, seq := range sequences {
			p := -1
			if r < utf8.RuneSelf {
				p = strings.IndexByte(seq, byte(r))
			}
			switch {
			case p < 0:
				up[k], down[k] = 0, 0
			case prev[k] >= 0 && p == prev[k]+1:
				up[k], down[k] = up[k]+1, 1
			case prev[k] >= 0 && p == prev[k]-1:
				up[k], down[k] = 1, down[k]+1
			default:
				up[k], down[k] = 1, 1
			}
			prev[k] = p
			if n := max(up[k], down[k]); n >= runLength && (k < firstLetterRow || n >= keyboardRunLength) {
				return true
			}
		}
	}
	return false
}
