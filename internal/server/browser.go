package server

import (
	"encoding/json"
	"mime"
	"net/http"
	"net/url"
	"strings"

	"github.com/gatehouse/gatehouse/internal/gatehouse"
	"github.com/gatehouse/gatehouse/internal/request"
)

// browserGuard protects the GraphQL endpoint from other sites' pages.
//
//   - An Origin other than the API's own must be on the allow-list; only
//     then does the answer carry CORS headers, naming that one origin (never
//     a reflection of any origin, never "*" with credentials).
//   - A request a browser could send cross-site without a preflight (a GET,
//     or a POST whose content type is a form's or text/plain or missing) is
//     refused unless it carries a header that a browser only sends after a
//     preflight: what Apollo clients send (X-Apollo-Operation-Name,
//     Apollo-Require-Preflight), the CSRF header, or Authorization.
//
// Cookie-authenticated mutations must moreover carry the session's CSRF
// token; the auth service checks that.
func browserGuard(next http.Handler, allowed []string) http.Handler {
	allow := map[string]bool{}
	for _, o := range allowed {
		allow[strings.TrimRight(o, "/")] = true
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		h.Add("Vary", "Origin")
		origin := r.Header.Get("Origin")
		if origin != "" && !sameOrigin(r, origin) {
			if !allow[origin] {
				refuse(w, r, http.StatusForbidden, gatehouse.CodeForbidden, "This origin may not call the API.", nil)
				return
			}
			h.Set("Access-Control-Allow-Origin", origin)
			h.Set("Access-Control-Allow-Credentials", "true")
			h.Set("Access-Control-Expose-Headers", RequestIDHeader+", Idempotent-Replayed")
			if r.Method == http.MethodOptions && r.Header.Get("Access-Control-Request-Method") != "" {
				h.Set("Access-Control-Allow-Methods", "GET, POST, OPTIONS")
				h.Set("Access-Control-Allow-Headers", "Authorization, Content-Type, "+CSRFHeader+", "+RequestIDHeader+", Idempotency-Key, Apollo-Require-Preflight, X-Apollo-Operation-Name")
				h.Set("Access-Control-Max-Age", "600")
				w.WriteHeader(http.StatusNoContent)
				return
			}
		}
		if r.Method != http.MethodOptions && !preflighted(r) {
			refuse(w, r, http.StatusBadRequest, gatehouse.CodeBadUserInput,
				"This request could have been sent by another site's page: send it with Content-Type: application/json, or with an Apollo-Require-Preflight or X-Apollo-Operation-Name header.", nil)
			return
		}
		next.ServeHTTP(w, r)
	})
}

// sameOrigin reports whether origin names the host the request was sent to.
func sameOrigin(r *http.Request, origin string) bool {
	u, err := url.Parse(origin)
	return err == nil && u.Host != "" && strings.EqualFold(u.Host, r.Host)
}

// preflighted reports whether a browser would have had to send a CORS
// preflight before this request.
func preflighted(r *http.Request) bool {
	for _, name := range []string{"X-Apollo-Operation-Name", "Apollo-Require-Preflight", CSRFHeader, "Authorization"} {
		if r.Header.Get(name) != "" {
			return true
		}
	}
	ct := r.Header.Get("Content-Type")
	if ct == "" {
		return false
	}
	mt, _, err := mime.ParseMediaType(ct)
	if err != nil {
		return false
	}
	switch mt {
	case "application/x-www-form-urlencoded", "multipart/form-data", "text/plain":
		return false
	}
	return true
}

// refuse answers a request the server turns away before GraphQL runs, as
// the GraphQL error presenter would: a GraphQL error with code (and its
// type from gatehouse's table), extra added to its extensions, and no data
// entry, since nothing was executed. status is the same under either
// response media type: these are refusals of the HTTP request (too large,
// forgeable, from a foreign origin), not answers to a GraphQL request. The
// Content-Type is the one the Accept header chose, else application/json.
func refuse(w http.ResponseWriter, r *http.Request, status int, code gatehouse.Code, msg string, extra map[string]any) {
	info, _ := gatehouse.Info(code)
	ext := map[string]any{"code": string(code), "type": info.Type, "requestId": request.ID(r.Context())}
	for k, v := range extra {
		ext[k] = v
	}
	media, ok := request.ResponseMediaType(r)
	if !ok {
		media = request.JSON
	}
	w.Header().Set("Content-Type", media+"; charset=utf-8")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(map[string]any{
		"errors": []map[string]any{{"message": msg, "extensions": ext}},
	})
}
