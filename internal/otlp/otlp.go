// Package otlp exports traces over OTLP/HTTP (protobuf), configured by the
// standard OTEL_EXPORTER_OTLP_* variables.
//
// It is a Client for the SDK's otlptrace exporter, in place of
// otlptracehttp, whose configuration package links gRPC into the binary
// (about 600 kB of code, and gRPC's init work) for a protocol gatehouse
// does not speak. The request body is ExportTraceServiceRequest written
// out by hand (one repeated field), because the collector package that
// declares it also declares the gRPC service.
package otlp

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"go.opentelemetry.io/otel/exporters/otlp/otlptrace"
	tracepb "go.opentelemetry.io/proto/otlp/trace/v1"
	"google.golang.org/protobuf/encoding/protowire"
	"google.golang.org/protobuf/proto"
)

// Config is where and how traces are sent.
type Config struct {
	// URL is the collector's traces endpoint (…/v1/traces).
	URL     string
	Headers map[string]string
	Timeout time.Duration
}

// DefaultTimeout is OTEL_EXPORTER_OTLP_TIMEOUT's default.
const DefaultTimeout = 10 * time.Second

// FromEnv reads the standard variables through getenv: the endpoint
// (OTEL_EXPORTER_OTLP_TRACES_ENDPOINT as is, or OTEL_EXPORTER_OTLP_ENDPOINT
// with /v1/traces added, or else fallback, gatehouse's own setting, with
// the path added when it has none), headers, timeout and protocol, which
// must be http/protobuf: gRPC is refused with a message that says what to
// set. OTEL_TRACES_EXPORTER=none turns tracing off. ok is false when no
// endpoint is configured (tracing off).
func FromEnv(getenv func(string) string, fallback string) (c Config, ok bool, err error) {
	pick := func(name string) string {
		if v := strings.TrimSpace(getenv("OTEL_EXPORTER_OTLP_TRACES_" + name)); v != "" {
			return v
		}
		return strings.TrimSpace(getenv("OTEL_EXPORTER_OTLP_" + name))
	}
	switch e := strings.TrimSpace(getenv("OTEL_TRACES_EXPORTER")); e {
	case "", "otlp":
	case "none":
		return Config{}, false, nil
	default:
		return Config{}, false, fmt.Errorf("OTEL_TRACES_EXPORTER=%q: only otlp (over HTTP) and none are supported", e)
	}
	switch p := pick("PROTOCOL"); p {
	case "", "http/protobuf":
	case "grpc":
		return Config{}, false, errors.New("OTEL_EXPORTER_OTLP_PROTOCOL=grpc: gatehouse exports OTLP over HTTP only; set http/protobuf and the collector's HTTP port (4318)")
	default:
		return Config{}, false, fmt.Errorf("OTEL_EXPORTER_OTLP_PROTOCOL=%q: only http/protobuf is supported", p)
	}
	switch {
	case strings.TrimSpace(getenv("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT")) != "":
		c.URL = strings.TrimSpace(getenv("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT"))
	case strings.TrimSpace(getenv("OTEL_EXPORTER_OTLP_ENDPOINT")) != "":
		c.URL = strings.TrimRight(strings.TrimSpace(getenv("OTEL_EXPORTER_OTLP_ENDPOINT")), "/") + "/v1/traces"
	case fallback != "":
		c.URL = withTracesPath(fallback)
	default:
		return Config{}, false, nil
	}
	if u, err := url.Parse(c.URL); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return Config{}, false, fmt.Errorf("OTLP traces endpoint %q: must be an http(s) URL such as http://collector:4318", c.URL)
	}
	if c.Headers, err = parseHeaders(pick("HEADERS")); err != nil {
		return Config{}, false, err
	}
	c.Timeout = DefaultTimeout
	if v := pick("TIMEOUT"); v != "" {
		ms, err := strconv.Atoi(v)
		if err != nil || ms <= 0 {
			return Config{}, false, fmt.Errorf("OTEL_EXPORTER_OTLP_TIMEOUT=%q: must be a positive number of milliseconds", v)
		}
		c.Timeout = time.Duration(ms) * time.Millisecond
	}
	return c, true, nil
}

// withTracesPath adds the OTLP traces path to an endpoint that names only
// the collector.
func withTracesPath(endpoint string) string {
	u, err := url.Parse(endpoint)
	if err != nil || strings.Trim(u.Path, "/") != "" {
		return endpoint
	}
	u.Path = "/v1/traces"
	return u.String()
}

// parseHeaders reads "k1=v1,k2=v2", values percent-encoded (the OTLP
// exporter specification's W3C-baggage-like form).
func parseHeaders(s string) (map[string]string, error) {
	h := map[string]string{}
	for _, kv := range strings.Split(s, ",") {
		if strings.TrimSpace(kv) == "" {
			continue
		}
		k, v, ok := strings.Cut(kv, "=")
		k = strings.TrimSpace(k)
		if !ok || k == "" {
			return nil, errors.New("OTEL_EXPORTER_OTLP_HEADERS: must be key=value pairs separated by commas")
		}
		dv, err := url.PathUnescape(strings.TrimSpace(v))
		if err != nil {
			return nil, fmt.Errorf("OTEL_EXPORTER_OTLP_HEADERS: the value of %s is not percent-encoded correctly", k)
		}
		h[k] = dv
	}
	return h, nil
}

// Client sends span batches to one collector.
type Client struct {
	cfg  Config
	http *http.Client
}

var _ otlptrace.Client = (*Client)(nil)

// NewClient returns a client for c.
func NewClient(c Config) *Client {
	if c.Timeout <= 0 {
		c.Timeout = DefaultTimeout
	}
	return &Client{cfg: c, http: &http.Client{Timeout: c.Timeout}}
}

func (*Client) Start(context.Context) error { return nil }

func (c *Client) Stop(context.Context) error {
	c.http.CloseIdleConnections()
	return nil
}

// UploadTraces posts one ExportTraceServiceRequest. A refusal is an error
// the exporter reports and drops the batch with: traces are not worth
// holding requests for.
func (c *Client) UploadTraces(ctx context.Context, spans []*tracepb.ResourceSpans) error {
	body, err := exportRequest(spans)
	if err != nil {
		return err
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, c.cfg.URL, bytes.NewReader(body))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/x-protobuf")
	for k, v := range c.cfg.Headers {
		req.Header.Set(k, v)
	}
	resp, err := c.http.Do(req)
	if err != nil {
		return fmt.Errorf("otlp: %w", err)
	}
	defer resp.Body.Close()
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
	if resp.StatusCode/100 != 2 {
		return fmt.Errorf("otlp: the collector answered %s", resp.Status)
	}
	return nil
}

// exportRequest encodes ExportTraceServiceRequest{resource_spans: spans}:
// field 1, length-delimited, repeated.
func exportRequest(spans []*tracepb.ResourceSpans) ([]byte, error) {
	var b []byte
	for _, rs := range spans {
		m, err := proto.Marshal(rs)
		if err != nil {
			return nil, fmt.Errorf("otlp: encode spans: %w", err)
		}
		b = protowire.AppendTag(b, 1, protowire.BytesType)
		b = protowire.AppendBytes(b, m)
	}
	return b, nil
}
