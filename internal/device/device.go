// Package device names the device behind a User-Agent header, for the
// list of a person's sessions: "Chrome on macOS", "Safari on iPhone",
// "curl". It guesses from well-known tokens and nothing else: a label is
// for a person to recognise a device by, never for a decision (any client
// can send any User-Agent).
package device

import "strings"

// Unknown is the label of a session whose client sent no User-Agent, or
// one that says nothing recognisable.
const Unknown = "Unknown device"

// maxName bounds the label made of an unknown client's own name.
const maxName = 40

// clients are programs other than browsers, by a token their User-Agent
// starts with (compared in lower case), checked before the browsers.
var clients = []struct{ token, label string }{
	{"curl/", "curl"},
	{"wget/", "Wget"},
	{"postmanruntime/", "Postman"},
	{"insomnia/", "Insomnia"},
	{"okhttp/", "OkHttp"},
	{"go-http-client/", "Go HTTP client"},
	{"python-requests/", "Python requests"},
	{"node-fetch", "Node.js"},
	{"undici", "Node.js"},
}

// apollos are Apollo's native clients, by a token anywhere in their
// User-Agent (an app built on them usually puts its own name first).
var apollos = []struct{ token, label string }{
	{"apollo-ios", "Apollo iOS"},
	{"apollo-kotlin", "Apollo Kotlin"},
	{"apollo-android", "Apollo Kotlin"},
}

// browsers by their token, in the order to test them: a browser's
// User-Agent names the engines it claims kinship with too (Edge says
// Chrome and Safari, Chrome says Safari), so the most specific comes
// first. Safari is Safari only with its Version/ token, which the others
// lack.
var browsers = []struct{ token, label string }{
	{"edg/", "Edge"},
	{"edga/", "Edge"},
	{"edgios/", "Edge"},
	{"edge/", "Edge"},
	{"opr/", "Opera"},
	{"samsungbrowser/", "Samsung Internet"},
	{"yabrowser/", "Yandex Browser"},
	{"vivaldi/", "Vivaldi"},
	{"firefox/", "Firefox"},
	{"fxios/", "Firefox"},
	{"crios/", "Chrome"},
	{"chrome/", "Chrome"},
	{"chromium/", "Chromium"},
	{"version/", "Safari"},
}

// systems by their token, in the order to test them: iPhones and iPads
// say "like Mac OS X", Android says Linux. ChromeOS's token has its
// neighbours, or "Microsoft" would hold it.
var systems = []struct{ token, label string }{
	{"iphone", "iPhone"},
	{"ipad", "iPad"},
	{"ipod", "iPod"},
	{"android", "Android"},
	{"windows", "Windows"},
	{"; cros ", "ChromeOS"},
	{"macintosh", "macOS"},
	{"mac os x", "macOS"},
	{"linux", "Linux"},
}

// Label returns a short name for the device that sent userAgent, such as
// "Chrome on macOS" or "curl"; Unknown for an empty one.
func Label(userAgent string) string {
	ua := strings.TrimSpace(userAgent)
	if ua == "" {
		return Unknown
	}
	lower := strings.ToLower(ua)
	for _, c := range clients {
		if strings.HasPrefix(lower, c.token) {
			return c.label
		}
	}
	for _, a := range apollos {
		if strings.Contains(lower, a.token) {
			return a.label
		}
	}
	browser := first(lower, browsers)
	if browser == "Safari" && !strings.Contains(lower, "safari/") {
		// Version/ without Safari/ is some app's web view or its own
		// version, not Safari.
		browser = ""
	}
	system := first(lower, systems)
	switch {
	case browser != "" && system != "":
		return browser + " on " + system
	case browser != "":
		return browser
	case system != "":
		return system
	}
	if name := product(ua); name != "" {
		return name
	}
	return Unknown
}

// first returns the label of the first entry whose token ua contains.
func first(ua string, entries []struct{ token, label string }) string {
	for _, e := range entries {
		if strings.Contains(ua, e.token) {
			return e.label
		}
	}
	return ""
}

// product is the name of the User-Agent's first product ("MyShop" of
// "MyShop/2.1 CFNetwork/1410 Darwin/22.6.0"), when it looks like a name:
// letters, digits, and - _ . only, at most maxName of them.
func product(ua string) string {
	name, _, _ := strings.Cut(ua, "/")
	name, _, _ = strings.Cut(name, " ")
	if name == "" || len(name) > maxName {
		return ""
	}
	for _, r := range name {
		ok := r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '-' || r == '_' || r == '.'
		if !ok {
			return ""
		}
	}
	if strings.EqualFold(name, "mozilla") {
		return ""
	}
	return name
}
