package deploy_test

import (
	"context"
	"fmt"
	"io"
	"maps"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"go.yaml.in/yaml/v3"

	"github.com/gatehouse/gatehouse/internal/keys"
)

type k8sObject struct {
	APIVersion string `yaml:"apiVersion"`
	Kind       string `yaml:"kind"`
	Metadata   struct {
		Name   string            `yaml:"name"`
		Labels map[string]string `yaml:"labels"`
	} `yaml:"metadata"`
	Data       map[string]string `yaml:"data"`
	StringData map[string]string `yaml:"stringData"`
	Spec       yaml.Node         `yaml:"spec"`
	Resources  []string          `yaml:"resources"` // a Kustomization
}

type selector struct {
	MatchLabels map[string]string `yaml:"matchLabels"`
}

type deploymentSpec struct {
	Replicas int      `yaml:"replicas"`
	Selector selector `yaml:"selector"`
	Template struct {
		Metadata struct {
			Labels map[string]string `yaml:"labels"`
		} `yaml:"metadata"`
		Spec podSpec `yaml:"spec"`
	} `yaml:"template"`
}

type podSpec struct {
	TerminationGracePeriodSeconds int `yaml:"terminationGracePeriodSeconds"`
	SecurityContext               struct {
		RunAsNonRoot *bool `yaml:"runAsNonRoot"`
		RunAsUser    *int  `yaml:"runAsUser"`
	} `yaml:"securityContext"`
	Containers []container `yaml:"containers"`
	Volumes    []struct {
		Name   string `yaml:"name"`
		Secret *struct {
			SecretName string `yaml:"secretName"`
			Items      []struct {
				Key  string `yaml:"key"`
				Path string `yaml:"path"`
			} `yaml:"items"`
		} `yaml:"secret"`
	} `yaml:"volumes"`
}

type container struct {
	Name  string   `yaml:"name"`
	Args  []string `yaml:"args"`
	Ports []struct {
		Name          string `yaml:"name"`
		ContainerPort int    `yaml:"containerPort"`
	} `yaml:"ports"`
	EnvFrom []struct {
		ConfigMapRef *struct {
			Name string `yaml:"name"`
		} `yaml:"configMapRef"`
	} `yaml:"envFrom"`
	Env []struct {
		Name      string `yaml:"name"`
		Value     string `yaml:"value"`
		ValueFrom *struct {
			SecretKeyRef *struct {
				Name string `yaml:"name"`
				Key  string `yaml:"key"`
			} `yaml:"secretKeyRef"`
		} `yaml:"valueFrom"`
	} `yaml:"env"`
	VolumeMounts []struct {
		Name      string `yaml:"name"`
		MountPath string `yaml:"mountPath"`
	} `yaml:"volumeMounts"`
	Resources struct {
		Limits map[string]string `yaml:"limits"`
	} `yaml:"resources"`
	SecurityContext struct {
		AllowPrivilegeEscalation *bool `yaml:"allowPrivilegeEscalation"`
		ReadOnlyRootFilesystem   *bool `yaml:"readOnlyRootFilesystem"`
		Capabilities             struct {
			Drop []string `yaml:"drop"`
		} `yaml:"capabilities"`
	} `yaml:"securityContext"`
	StartupProbe   *probe `yaml:"startupProbe"`
	LivenessProbe  *probe `yaml:"livenessProbe"`
	ReadinessProbe *probe `yaml:"readinessProbe"`
	Lifecycle      struct {
		PreStop *struct {
			Sleep *struct {
				Seconds int `yaml:"seconds"`
			} `yaml:"sleep"`
		} `yaml:"preStop"`
	} `yaml:"lifecycle"`
}

type probe struct {
	HTTPGet *struct {
		Path string `yaml:"path"`
		Port string `yaml:"port"` // a name or a number
	} `yaml:"httpGet"`
}

type serviceSpec struct {
	Selector map[string]string `yaml:"selector"`
	Ports    []struct {
		Name       string `yaml:"name"`
		Port       int    `yaml:"port"`
		TargetPort string `yaml:"targetPort"`
	} `yaml:"ports"`
}

type pdbSpec struct {
	MinAvailable string   `yaml:"minAvailable"`
	Selector     selector `yaml:"selector"`
}

// cluster is every object of deploy/kubernetes, by kind and name.
type cluster struct {
	objects map[string]k8sObject // "Kind/name"
	files   map[string][]string  // file: its "Kind/name"s
}

func readCluster(t *testing.T) cluster {
	t.Helper()
	c := cluster{objects: map[string]k8sObject{}, files: map[string][]string{}}
	for _, path := range manifestFiles(t) {
		for i, doc := range yamlDocs(t, path) {
			var o k8sObject
			if err := doc.Decode(&o); err != nil {
				t.Fatalf("%s: document %d: %v", path, i+1, err)
			}
			key := o.Kind + "/" + o.Metadata.Name
			if _, dup := c.objects[key]; dup {
				t.Fatalf("%s: %s defined twice", path, key)
			}
			c.objects[key] = o
			c.files[filepath.Base(path)] = append(c.files[filepath.Base(path)], key)
		}
	}
	return c
}

func (c cluster) get(t *testing.T, key string, spec any) k8sObject {
	t.Helper()
	o, ok := c.objects[key]
	if !ok {
		t.Fatalf("deploy/kubernetes has no %s", key)
	}
	if spec != nil {
		if err := o.Spec.Decode(spec); err != nil {
			t.Fatalf("%s: spec: %v", key, err)
		}
	}
	return o
}

func (c cluster) deployment(t *testing.T) (deploymentSpec, container) {
	t.Helper()
	var d deploymentSpec
	c.get(t, "Deployment/gatehouse", &d)
	if len(d.Template.Spec.Containers) != 1 {
		t.Fatalf("Deployment/gatehouse: %d containers, want 1", len(d.Template.Spec.Containers))
	}
	return d, d.Template.Spec.Containers[0]
}

// podEnv is the container's environment as Kubernetes builds it: the
// ConfigMaps of envFrom, then env. A value from a Secret is "secret:KEY".
func (c cluster) podEnv(t *testing.T, ct container) map[string]string {
	t.Helper()
	env := map[string]string{}
	for _, ef := range ct.EnvFrom {
		if ef.ConfigMapRef == nil {
			t.Fatalf("container %s: envFrom other than a configMapRef", ct.Name)
		}
		maps.Copy(env, c.get(t, "ConfigMap/"+ef.ConfigMapRef.Name, nil).Data)
	}
	for _, e := range ct.Env {
		switch {
		case e.ValueFrom == nil:
			env[e.Name] = e.Value
		case e.ValueFrom.SecretKeyRef != nil:
			c.get(t, "Secret/"+e.ValueFrom.SecretKeyRef.Name, nil)
			env[e.Name] = "secret:" + e.ValueFrom.SecretKeyRef.Key
		default:
			t.Fatalf("container %s: env %s: valueFrom other than a secretKeyRef", ct.Name, e.Name)
		}
	}
	return env
}

// listenerPorts maps the container's listening ports to the setting
// that opens each: GATEHOUSE_ADDR, GATEHOUSE_MANAGEMENT_ADDR.
func listenerPorts(t *testing.T, env map[string]string) map[int]string {
	t.Helper()
	out := map[int]string{}
	for _, name := range []string{"GATEHOUSE_ADDR", "GATEHOUSE_MANAGEMENT_ADDR"} {
		_, port, err := net.SplitHostPort(env[name])
		if err != nil {
			t.Fatalf("the pod's %s=%q: %v", name, env[name], err)
		}
		n, _ := strconv.Atoi(port)
		out[n] = name
	}
	return out
}

// portNumber resolves a probe's or Service's port (a name or a number)
// to the container's port number, 0 if it names none.
func portNumber(ct container, p string) int {
	for _, cp := range ct.Ports {
		if cp.Name == p || strconv.Itoa(cp.ContainerPort) == p {
			return cp.ContainerPort
		}
	}
	return 0
}

func TestKubernetes(t *testing.T) {
	t.Run("kustomization", func(t *testing.T) {
		var k k8sObject
		if err := yamlDocs(t, filepath.Join("kubernetes", "kustomization.yaml"))[0].Decode(&k); err != nil {
			t.Fatal(err)
		}
		c := readCluster(t)
		for file := range c.files {
			if file != "kustomization.yaml" && !slices.Contains(k.Resources, file) {
				t.Errorf("kustomization.yaml does not list %s", file)
			}
		}
		for _, r := range k.Resources {
			if _, ok := c.files[r]; !ok {
				t.Errorf("kustomization.yaml lists %s, which is not in deploy/kubernetes", r)
			}
		}
	})
	t.Run("security", func(t *testing.T) {
		d, ct := readCluster(t).deployment(t)
		sc := d.Template.Spec.SecurityContext
		if sc.RunAsNonRoot == nil || !*sc.RunAsNonRoot {
			t.Error("pod securityContext.runAsNonRoot is not true")
		}
		if sc.RunAsUser == nil || *sc.RunAsUser == 0 {
			t.Error("pod securityContext.runAsUser is unset or root")
		}
		csc := ct.SecurityContext
		if csc.ReadOnlyRootFilesystem == nil || !*csc.ReadOnlyRootFilesystem {
			t.Error("container readOnlyRootFilesystem is not true")
		}
		if csc.AllowPrivilegeEscalation == nil || *csc.AllowPrivilegeEscalation {
			t.Error("container allowPrivilegeEscalation is not false")
		}
		if !slices.Equal(csc.Capabilities.Drop, []string{"ALL"}) {
			t.Errorf("container capabilities.drop = %q, want [ALL]", csc.Capabilities.Drop)
		}
		// The hash workers follow GOMAXPROCS, which Go sets from the CPU
		// limit (cgroup quota): without one they follow the node's cores.
		if ct.Resources.Limits["cpu"] == "" || ct.Resources.Limits["memory"] == "" {
			t.Errorf("container limits = %v, want a cpu and a memory limit", ct.Resources.Limits)
		}
	})
	t.Run("ports", func(t *testing.T) {
		c := readCluster(t)
		d, ct := c.deployment(t)
		listeners := listenerPorts(t, c.podEnv(t, ct))
		for _, cp := range ct.Ports {
			if listeners[cp.ContainerPort] == "" {
				t.Errorf("containerPort %s %d is no listener's port (%v)", cp.Name, cp.ContainerPort, listeners)
			}
		}
		var public serviceSpec
		c.get(t, "Service/gatehouse", &public)
		for _, p := range public.Ports {
			n := portNumber(ct, p.TargetPort)
			if listeners[n] != "GATEHOUSE_ADDR" {
				t.Errorf("Service/gatehouse port %d targets %q, the %s listener; the public Service routes only to GATEHOUSE_ADDR", p.Port, p.TargetPort, listeners[n])
			}
		}
		if len(public.Ports) != 1 || public.Ports[0].Port != 80 {
			t.Errorf("Service/gatehouse ports = %+v, want one, 80", public.Ports)
		}
		for key, o := range c.objects {
			if o.Kind != "Service" && o.Kind != "PodDisruptionBudget" {
				continue
			}
			var sel map[string]string
			if o.Kind == "Service" {
				var s serviceSpec
				c.get(t, key, &s)
				sel = s.Selector
			} else {
				var p pdbSpec
				c.get(t, key, &p)
				sel = p.Selector.MatchLabels
			}
			if len(sel) == 0 || !matches(sel, d.Template.Metadata.Labels) {
				t.Errorf("%s selects %v, which the pods (%v) do not match", key, sel, d.Template.Metadata.Labels)
			}
		}
		if !matches(d.Selector.MatchLabels, d.Template.Metadata.Labels) {
			t.Errorf("Deployment selector %v does not match its pods %v", d.Selector.MatchLabels, d.Template.Metadata.Labels)
		}
	})
	t.Run("disruption-budget", func(t *testing.T) {
		c := readCluster(t)
		d, _ := c.deployment(t)
		var p pdbSpec
		c.get(t, "PodDisruptionBudget/gatehouse", &p)
		min, err := strconv.Atoi(p.MinAvailable)
		if err != nil || min != 1 {
			t.Errorf("minAvailable = %q, want 1", p.MinAvailable)
		}
		if d.Replicas <= min {
			t.Errorf("replicas %d <= minAvailable %d: no node could ever be drained", d.Replicas, min)
		}
	})
	t.Run("grace-period", func(t *testing.T) {
		c := readCluster(t)
		d, ct := c.deployment(t)
		shutdown := setting(t, c.podEnv(t, ct), "GATEHOUSE_SHUTDOWN_TIMEOUT")
		preStop := 0
		if ct.Lifecycle.PreStop != nil && ct.Lifecycle.PreStop.Sleep != nil {
			preStop = ct.Lifecycle.PreStop.Sleep.Seconds
		}
		grace := time.Duration(d.Template.Spec.TerminationGracePeriodSeconds) * time.Second
		if need := mustDuration(t, shutdown) + time.Duration(preStop)*time.Second; grace <= need {
			t.Errorf("terminationGracePeriodSeconds %s <= GATEHOUSE_SHUTDOWN_TIMEOUT %s + preStop %ds: in-flight requests would be killed", grace, shutdown, preStop)
		}
	})
	t.Run("secret-placeholder", func(t *testing.T) {
		// A deployment that forgot to replace the placeholder must fail
		// at start, not seal its keys under a published value.
		s := readCluster(t).get(t, "Secret/gatehouse", nil)
		kek, ok := s.StringData["kek"]
		if !ok {
			t.Fatal("Secret/gatehouse has no stringData kek")
		}
		if _, err := keys.ParseKEK(kek); err == nil {
			t.Errorf("the placeholder key-encryption key %q is a valid key", kek)
		}
	})
	t.Run("probes", func(t *testing.T) {
		c := readCluster(t)
		_, ct := c.deployment(t)
		listeners := listenerPorts(t, c.podEnv(t, ct))
		for name, p := range map[string]*probe{"startup": ct.StartupProbe, "liveness": ct.LivenessProbe, "readiness": ct.ReadinessProbe} {
			if p == nil || p.HTTPGet == nil {
				t.Errorf("no %s httpGet probe", name)
				continue
			}
			if l := listeners[portNumber(ct, p.HTTPGet.Port)]; l != "GATEHOUSE_MANAGEMENT_ADDR" {
				t.Errorf("%s probe port %q is the %q listener, want the management one", name, p.HTTPGet.Port, l)
			}
		}
		if ct.LivenessProbe != nil && ct.LivenessProbe.HTTPGet != nil && ct.LivenessProbe.HTTPGet.Path != "/healthz" {
			t.Errorf("liveness probe %s, want /healthz: /readyz fails while the database is down, and restarting would not help", ct.LivenessProbe.HTTPGet.Path)
		}
		if ct.ReadinessProbe != nil && ct.ReadinessProbe.HTTPGet != nil && ct.ReadinessProbe.HTTPGet.Path != "/readyz" {
			t.Errorf("readiness probe %s, want /readyz", ct.ReadinessProbe.HTTPGet.Path)
		}
	})
	t.Run("pod-serves-probes", func(t *testing.T) {
		c := readCluster(t)
		d, ct := c.deployment(t)
		env := c.podEnv(t, ct)
		p := startPod(t, builtBinary(t), d.Template.Spec, ct, env)
		for name, pr := range map[string]*probe{"startup": ct.StartupProbe, "liveness": ct.LivenessProbe, "readiness": ct.ReadinessProbe} {
			if pr == nil || pr.HTTPGet == nil {
				continue
			}
			addr := p.addrs[portNumber(ct, pr.HTTPGet.Port)]
			if addr == "" {
				t.Errorf("%s probe: port %q is not a listener", name, pr.HTTPGet.Port)
				continue
			}
			took, err := p.pollOK(t, "http://"+addr+pr.HTTPGet.Path)
			if err != nil {
				t.Errorf("%s probe GET %s: %v", name, pr.HTTPGet.Path, err)
				continue
			}
			t.Logf("%s probe GET %s: 200 after %s", name, pr.HTTPGet.Path, took.Round(time.Millisecond))
		}
		// The management routes left the public listener, which the
		// public Service routes to.
		public := p.addrs[portOf(t, env["GATEHOUSE_ADDR"])]
		for _, path := range []string{"/metrics", "/healthz", "/readyz"} {
			if code := get(t, "http://"+public+path); code == http.StatusOK {
				t.Errorf("public listener GET %s = 200, want it served on the management listener only", path)
			}
		}
		if code := get(t, "http://"+p.addrs[portOf(t, env["GATEHOUSE_MANAGEMENT_ADDR"])]+"/metrics"); code != http.StatusOK {
			t.Errorf("management listener GET /metrics = %d, want 200", code)
		}
	})
}

func matches(sel, labels map[string]string) bool {
	for k, v := range sel {
		if labels[k] != v {
			return false
		}
	}
	return true
}

func portOf(t *testing.T, addr string) int {
	t.Helper()
	_, port, err := net.SplitHostPort(addr)
	if err != nil {
		t.Fatalf("%q: %v", addr, err)
	}
	n, _ := strconv.Atoi(port)
	return n
}

// pod is the binary started as the Deployment's container would be.
type pod struct {
	addrs  map[int]string // container port: the loopback address standing in for it
	output *os.File
	exited chan struct{}
	err    error
}

// startPod runs bin with the container's args and environment, in
// production mode as the ConfigMap says, with these stand-ins: each
// listener on a free loopback port, a SQLite file for the database URL,
// a fresh key-encryption key for the mounted Secret's kek. Nothing is
// inherited from the test's environment.
func startPod(t *testing.T, bin string, spec podSpec, ct container, env map[string]string) *pod {
	t.Helper()
	dir := t.TempDir()
	secretFiles := map[string]string{} // mount path/item path: the secret key
	for _, vm := range ct.VolumeMounts {
		for _, v := range spec.Volumes {
			if v.Name != vm.Name || v.Secret == nil {
				continue
			}
			for _, it := range v.Secret.Items {
				secretFiles[filepath.Join(vm.MountPath, it.Path)] = it.Key
			}
		}
	}
	testSecret := func(key string) string {
		switch key {
		case "kek":
			return newKEK(t) + "\n"
		case "database-url":
			return "sqlite:" + filepath.Join(dir, "gatehouse.db")
		}
		t.Fatalf("the Secret's key %q has no stand-in value in this test: add one", key)
		return ""
	}
	p := &pod{addrs: map[int]string{}, exited: make(chan struct{})}
	var environ []string
	for name, v := range env {
		switch {
		case name == "GATEHOUSE_ADDR" || name == "GATEHOUSE_MANAGEMENT_ADDR":
			addr := freeAddr(t)
			p.addrs[portOf(t, v)] = addr
			v = addr
		case strings.HasPrefix(v, "secret:"):
			v = strings.TrimSuffix(testSecret(strings.TrimPrefix(v, "secret:")), "\n")
		case secretFiles[v] != "":
			key := secretFiles[v]
			path := filepath.Join(dir, "secret-"+key)
			if err := os.WriteFile(path, []byte(testSecret(key)), 0o600); err != nil {
				t.Fatal(err)
			}
			v = path
		}
		environ = append(environ, name+"="+v)
	}
	out, err := os.Create(filepath.Join(dir, "output"))
	if err != nil {
		t.Fatal(err)
	}
	p.output = out
	cmd := exec.Command(bin, ct.Args...)
	cmd.Dir, cmd.Env, cmd.Stdout, cmd.Stderr = dir, environ, out, out
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() { p.err = cmd.Wait(); close(p.exited) }()
	t.Cleanup(func() {
		_ = cmd.Process.Signal(syscall.SIGTERM)
		select {
		case <-p.exited:
			if p.err != nil {
				t.Errorf("after SIGTERM the server exited with %v:\n%s", p.err, p.log(t))
			}
		case <-time.After(time.Duration(spec.TerminationGracePeriodSeconds) * time.Second):
			_ = cmd.Process.Kill()
			<-p.exited
			t.Errorf("the server did not stop within terminationGracePeriodSeconds of SIGTERM:\n%s", p.log(t))
		}
	})
	return p
}

func (p *pod) log(t *testing.T) string {
	t.Helper()
	b, err := os.ReadFile(p.output.Name())
	if err != nil {
		return err.Error()
	}
	return string(b)
}

// pollOK GETs url until it answers 200, for at most 60 s (the first start
// migrates a fresh database and generates a signing key).
func (p *pod) pollOK(t *testing.T, url string) (time.Duration, error) {
	t.Helper()
	began := time.Now()
	client := &http.Client{Timeout: 2 * time.Second}
	last := "no answer"
	for time.Since(began) < 60*time.Second {
		select {
		case <-p.exited:
			return 0, fmt.Errorf("the server exited (%v):\n%s", p.err, p.log(t))
		default:
		}
		resp, err := client.Get(url)
		if err == nil {
			body, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return time.Since(began), nil
			}
			last = fmt.Sprintf("%d %s", resp.StatusCode, body)
		} else {
			last = err.Error()
		}
		time.Sleep(50 * time.Millisecond)
	}
	return 0, fmt.Errorf("no 200 within 60 s; last: %s\n%s", last, p.log(t))
}

func get(t *testing.T, url string) int {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("GET %s: %v", url, err)
	}
	resp.Body.Close()
	return resp.StatusCode
}

// freeAddr is a loopback address with a port free a moment ago: the
// binary must be told its management port in advance.
func freeAddr(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}
