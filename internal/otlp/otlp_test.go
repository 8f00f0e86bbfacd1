package otlp_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"go.opentelemetry.io/otel/exporters/otlp/otlptrace"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	tracepb "go.opentelemetry.io/proto/otlp/trace/v1"

	"github.com/gatehouse/gatehouse/internal/otlp"
	"github.com/gatehouse/gatehouse/internal/otlp/otlptest"
)

func env(kv ...string) func(string) string {
	m := map[string]string{}
	for i := 0; i < len(kv); i += 2 {
		m[kv[i]] = kv[i+1]
	}
	return func(k string) string { return m[k] }
}

func TestFromEnv(t *testing.T) {
	for _, tc := range []struct {
		name     string
		getenv   func(string) string
		fallback string
		wantURL  string
		wantOff  bool
		wantErr  string
		headers  map[string]string
		timeout  time.Duration
	}{
		{name: "nothing set", getenv: env(), wantOff: true},
		{name: "gatehouse setting", getenv: env(), fallback: "http://collector:4318", wantURL: "http://collector:4318/v1/traces"},
		{name: "gatehouse setting with a path", getenv: env(), fallback: "http://collector:4318/custom", wantURL: "http://collector:4318/custom"},
		{name: "standard endpoint", getenv: env("OTEL_EXPORTER_OTLP_ENDPOINT", "http://otel:4318/"), fallback: "http://ignored:4318", wantURL: "http://otel:4318/v1/traces"},
		{name: "traces endpoint as is", getenv: env("OTEL_EXPORTER_OTLP_ENDPOINT", "http://otel:4318", "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT", "https://traces.example/in"), wantURL: "https://traces.example/in"},
		{name: "headers", getenv: env("OTEL_EXPORTER_OTLP_ENDPOINT", "http://otel:4318", "OTEL_EXPORTER_OTLP_HEADERS", "api-key=a%20b, x-team=auth"),
			wantURL: "http://otel:4318/v1/traces", headers: map[string]string{"api-key": "a b", "x-team": "auth"}},
		{name: "timeout", getenv: env("OTEL_EXPORTER_OTLP_ENDPOINT", "http://otel:4318", "OTEL_EXPORTER_OTLP_TRACES_TIMEOUT", "2500"), wantURL: "http://otel:4318/v1/traces", timeout: 2500 * time.Millisecond},
		{name: "http/protobuf", getenv: env("OTEL_EXPORTER_OTLP_ENDPOINT", "http://otel:4318", "OTEL_EXPORTER_OTLP_PROTOCOL", "http/protobuf"), wantURL: "http://otel:4318/v1/traces"},
		{name: "grpc refused", getenv: env("OTEL_EXPORTER_OTLP_ENDPOINT", "http://otel:4317", "OTEL_EXPORTER_OTLP_PROTOCOL", "grpc"), wantErr: "OTLP over HTTP only"},
		{name: "traces grpc refused", getenv: env("OTEL_EXPORTER_OTLP_TRACES_PROTOCOL", "grpc"), fallback: "http://c:4318", wantErr: "OTLP over HTTP only"},
		{name: "http/json refused", getenv: env("OTEL_EXPORTER_OTLP_PROTOCOL", "http/json"), fallback: "http://c:4318", wantErr: "only http/protobuf"},
		{name: "exporter none", getenv: env("OTEL_TRACES_EXPORTER", "none", "OTEL_EXPORTER_OTLP_ENDPOINT", "http://otel:4318"), wantOff: true},
		{name: "exporter zipkin refused", getenv: env("OTEL_TRACES_EXPORTER", "zipkin"), wantErr: "only otlp"},
		{name: "bad endpoint", getenv: env("OTEL_EXPORTER_OTLP_ENDPOINT", "otel:4318"), wantErr: "must be an http(s) URL"},
		{name: "bad headers", getenv: env("OTEL_EXPORTER_OTLP_ENDPOINT", "http://otel:4318", "OTEL_EXPORTER_OTLP_HEADERS", "novalue"), wantErr: "key=value"},
		{name: "bad timeout", getenv: env("OTEL_EXPORTER_OTLP_ENDPOINT", "http://otel:4318", "OTEL_EXPORTER_OTLP_TIMEOUT", "5s"), wantErr: "milliseconds"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c, ok, err := otlp.FromEnv(tc.getenv, tc.fallback)
			switch {
			case tc.wantErr != "":
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("err = %v, want %q", err, tc.wantErr)
				}
				return
			case err != nil:
				t.Fatal(err)
			case ok == tc.wantOff:
				t.Fatalf("enabled = %v", ok)
			case tc.wantOff:
				return
			}
			if c.URL != tc.wantURL {
				t.Errorf("URL = %q, want %q", c.URL, tc.wantURL)
			}
			for k, v := range tc.headers {
				if c.Headers[k] != v {
					t.Errorf("header %s = %q, want %q", k, c.Headers[k], v)
				}
			}
			want := tc.timeout
			if want == 0 {
				want = otlp.DefaultTimeout
			}
			if c.Timeout != want {
				t.Errorf("timeout = %v, want %v", c.Timeout, want)
			}
		})
	}
}

func TestClientExports(t *testing.T) {
	for _, tc := range []struct {
		name    string
		status  int
		wantErr bool
	}{
		{"accepted", 0, false},
		{"refused", http.StatusServiceUnavailable, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			rcv := &otlptest.Collector{Status: tc.status}
			srv := httptest.NewServer(rcv)
			defer srv.Close()
			cfg, ok, err := otlp.FromEnv(env("OTEL_EXPORTER_OTLP_ENDPOINT", srv.URL, "OTEL_EXPORTER_OTLP_HEADERS", "authorization=Bearer%20t0k"), "")
			if err != nil || !ok {
				t.Fatalf("FromEnv = %v, %v", ok, err)
			}
			ctx := context.Background()
			if tc.wantErr {
				// The SDK hands an export error to its error handler, not
				// to the caller: ask the client directly.
				if err := otlp.NewClient(cfg).UploadTraces(ctx, []*tracepb.ResourceSpans{{}}); err == nil {
					t.Fatal("a refused batch reported no error")
				}
				return
			}
			exp, err := otlptrace.New(ctx, otlp.NewClient(cfg))
			if err != nil {
				t.Fatal(err)
			}
			tp := sdktrace.NewTracerProvider(sdktrace.WithSyncer(exp))
			_, span := tp.Tracer("test").Start(ctx, "signIn")
			span.End()
			err = tp.ForceFlush(ctx)
			_ = tp.Shutdown(ctx)
			if err != nil {
				t.Fatal(err)
			}
			if spans := rcv.Spans(); len(spans) != 1 || spans[0].Name != "signIn" {
				t.Fatalf("collector received %v", spans)
			}
			if got := rcv.Headers().Get("Authorization"); got != "Bearer t0k" {
				t.Fatalf("Authorization = %q", got)
			}
		})
	}
}
