package main

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/quorumlock/quorumlock/quorum"
)

// Configuration shared by every command that talks to Redis nodes (run, doctor, heal, leader).
// Each setting is a YAML key in the --config file, an environment variable and a flag, all
// derived from one table, with the precedence flags > environment > file > defaults (quorum's
// Options defaults).

// envConfig names the configuration file when --config is not given.
const envConfig = "QUORUMLOCK_CONFIG"

const configHelp = `
node and configuration flags (each also QUORUMLOCK_<NAME> in the environment, e.g.
QUORUMLOCK_NODES, QUORUMLOCK_TTL, QUORUMLOCK_TLS_CA_FILE, and a key of the YAML file given by
--config or QUORUMLOCK_CONFIG: nodes, key_prefix, ttl, drift_factor, node_timeout, quarantine,
tls: {ca_file, cert_file, key_file, server_name, insecure_skip_verify}; flags win over the
environment, which wins over the file; durations are Go durations such as 10s or 1m30s):
`

// nodeConfig is the merged configuration of the nodes and the lock's options.
type nodeConfig struct {
	nodes       []string
	keyPrefix   string
	ttl         time.Duration
	driftFactor float64
	nodeTimeout time.Duration
	quarantine  time.Duration
	tls         tlsFiles
	from        map[string]string // setting key → where its value came from, for errors
}

// tlsFiles are the TLS settings, as given.
type tlsFiles struct {
	caFile, certFile, keyFile, serverName string
	insecureSkipVerify                    bool
}

// setting is one configuration setting. Its YAML key is key ("tls.ca_file" is ca_file inside
// tls:); its flag and environment variable are derived from it.
type setting struct {
	key    string
	usage  string
	isBool bool // a flag that needs no value
	set    func(c *nodeConfig, v string) error
}

// flagName returns the setting's flag: "tls.ca_file" → "tls-ca-file".
func (s *setting) flagName() string { return strings.NewReplacer(".", "-", "_", "-").Replace(s.key) }

// envName returns the setting's environment variable: "tls.ca_file" → "QUORUMLOCK_TLS_CA_FILE".
func (s *setting) envName() string {
	return "QUORUMLOCK_" + strings.ToUpper(strings.ReplaceAll(s.key, ".", "_"))
}

// settings lists every setting once, in the order of the help text.
var settings = []setting{
	{key: "nodes", usage: "comma-separated Redis `URLs`: redis://[user:password@]host:port[/db], or rediss:// for TLS", set: func(c *nodeConfig, v string) (err error) {
		c.nodes, err = parseNodes(v)
		return err
	}},
	{key: "key_prefix", usage: "`prefix` of every key the lock writes (default \"quorumlock:\")", set: func(c *nodeConfig, v string) error {
		if len(v) > 128 {
			return fmt.Errorf("%d bytes, at most 128", len(v))
		}
		c.keyPrefix = v
		return nil
	}},
	{key: "ttl", usage: "lease `duration` on the nodes, extended while held (default 10s)",
		set: positiveDuration(func(c *nodeConfig) *time.Duration { return &c.ttl })},
	{key: "drift_factor", usage: "`fraction` of the TTL allowed for clock drift, in [0, 0.5); 0 means 0.01", set: setDriftFactor},
	{key: "node_timeout", usage: "bound on every call to one node, a `duration` (default 50ms, or TTL/10 if smaller)",
		set: positiveDuration(func(c *nodeConfig) *time.Duration { return &c.nodeTimeout })},
	{key: "quarantine", usage: "how long a restarted or wiped node refuses grants, a `duration`: at least every client's TTL, at most 24h (default: the TTL)",
		set: positiveDuration(func(c *nodeConfig) *time.Duration { return &c.quarantine })},
	{key: "tls.ca_file", usage: "PEM `file` of the CAs of the servers' certificates, for rediss:// (default: the system's)",
		set: plainString(func(c *nodeConfig) *string { return &c.tls.caFile })},
	{key: "tls.cert_file", usage: "PEM client certificate `file` (with --tls-key-file)",
		set: plainString(func(c *nodeConfig) *string { return &c.tls.certFile })},
	{key: "tls.key_file", usage: "PEM client key `file` (with --tls-cert-file)",
		set: plainString(func(c *nodeConfig) *string { return &c.tls.keyFile })},
	{key: "tls.server_name", usage: "`name` to verify in the servers' certificates (default: each URL's host)",
		set: plainString(func(c *nodeConfig) *string { return &c.tls.serverName })},
	{key: "tls.insecure_skip_verify", usage: "do not verify the servers' certificates (for tests only)", isBool: true, set: setInsecure},
}

func positiveDuration(field func(*nodeConfig) *time.Duration) func(*nodeConfig, string) error {
	return func(c *nodeConfig, v string) error {
		d, err := time.ParseDuration(v)
		if err != nil {
			return fmt.Errorf("invalid duration %q: want a Go duration such as 10s or 1m30s", v)
		}
		if d <= 0 {
			return fmt.Errorf("%v: must be positive", d)
		}
		*field(c) = d
		return nil
	}
}

func plainString(field func(*nodeConfig) *string) func(*nodeConfig, string) error {
	return func(c *nodeConfig, v string) error {
		*field(c) = v
		return nil
	}
}

func setDriftFactor(c *nodeConfig, v string) error {
	f, err := strconv.ParseFloat(v, 64)
	if err != nil {
		return fmt.Errorf("invalid number %q", v)
	}
	if !(f >= 0 && f < 0.5) {
		return fmt.Errorf("%v: must be in [0, 0.5)", f)
	}
	c.driftFactor = f
	return nil
}

func setInsecure(c *nodeConfig, v string) error {
	b, err := strconv.ParseBool(v)
	if err != nil {
		return fmt.Errorf("invalid boolean %q: want true or false", v)
	}
	c.tls.insecureSkipVerify = b
	return nil
}

// splitNodes splits a comma-separated list of URLs, dropping blanks.
func splitNodes(list string) []string {
	var urls []string
	for _, u := range strings.Split(list, ",") {
		if u = strings.TrimSpace(u); u != "" {
			urls = append(urls, u)
		}
	}
	return urls
}

// parseNodes splits a comma-separated list of node URLs and checks each one's form.
func parseNodes(list string) ([]string, error) {
	urls := splitNodes(list)
	if len(urls) == 0 {
		return nil, errors.New("no URLs")
	}
	for _, u := range urls {
		if err := checkNodeURL(u); err != nil {
			return nil, err
		}
	}
	return urls, nil
}

// lookupSetting returns the setting with the YAML key, or nil.
func lookupSetting(key string) *setting {
	for i := range settings {
		if settings[i].key == key {
			return &settings[i]
		}
	}
	return nil
}

// configFlags are the node and configuration flags of one command.
type configFlags struct {
	file   string          // --config
	values []*settingValue // one per setting
}

// settingValue is the flag.Value of one setting: it keeps the value for the merge, which must
// wait until the file and the environment are known, and which checks it (the flag package's
// own message would quote the value, and with it a URL's password).
type settingValue struct {
	s     *setting
	value string
	set   bool
}

func (v *settingValue) String() string {
	if v == nil {
		return ""
	}
	return v.value
}

func (v *settingValue) Set(value string) error {
	v.value, v.set = value, true
	return nil
}

// IsBoolFlag lets a boolean setting be given as a bare flag.
func (v *settingValue) IsBoolFlag() bool { return v != nil && v.s.isBool }

// register adds --config and one flag per setting to fs.
func (cf *configFlags) register(fs *flag.FlagSet) {
	fs.StringVar(&cf.file, "config", "", "YAML configuration `file` (default $"+envConfig+")")
	for i := range settings {
		v := &settingValue{s: &settings[i]}
		cf.values = append(cf.values, v)
		fs.Var(v, settings[i].flagName(), settings[i].usage)
	}
}

// load merges defaults, the file, the environment (read with getenv) and the flags that were
// set, in that order, and checks the result. Every error names the setting and where its value
// came from: a flag, an environment variable, or the file and line.
func (cf *configFlags) load(getenv func(string) string) (nodeConfig, error) {
	c := nodeConfig{from: make(map[string]string)}
	path, label := cf.file, "--config"
	if path == "" {
		path, label = getenv(envConfig), envConfig
	}
	if path != "" {
		if err := c.loadFile(path, label); err != nil {
			return c, err
		}
	}
	var errs []error
	for i := range settings {
		s := &settings[i]
		if v := getenv(s.envName()); v != "" {
			errs = append(errs, c.apply(s, v, s.envName()))
		}
	}
	for _, v := range cf.values {
		if v.set {
			errs = append(errs, c.apply(v.s, v.value, "--"+v.s.flagName()))
		}
	}
	if err := errors.Join(errs...); err != nil {
		return c, err
	}
	return c, c.check()
}

// dialConfig loads the configuration (load) and returns it with the quorum.Options it gives,
// checked as Dial would check them (checkOptions): the part of a command that comes before
// quorum.Dial.
func (cf *configFlags) dialConfig(getenv func(string) string) (nodeConfig, quorum.Options, error) {
	cfg, err := cf.load(getenv)
	if err != nil {
		return cfg, quorum.Options{}, err
	}
	opts, err := cfg.options()
	if err == nil {
		err = cfg.checkOptions(opts)
	}
	return cfg, opts, err
}

// apply sets one setting; from says where the value came from.
func (c *nodeConfig) apply(s *setting, v, from string) error {
	if err := s.set(c, v); err != nil {
		return fmt.Errorf("%s: %w", from, err)
	}
	c.from[s.key] = from
	return nil
}

// origin returns where a setting's value came from, or its key if it was not set.
func (c *nodeConfig) origin(key string) string {
	if from, ok := c.from[key]; ok {
		return from
	}
	return key
}

// check reports what is missing or inconsistent once everything is merged.
func (c *nodeConfig) check() error {
	switch {
	case len(c.nodes) == 0:
		return errors.New("no nodes: give --nodes, QUORUMLOCK_NODES or nodes: in a --config file")
	case c.tls.certFile != "" && c.tls.keyFile == "":
		return fmt.Errorf("%s: a client certificate needs tls.key_file too", c.origin("tls.cert_file"))
	case c.tls.keyFile != "" && c.tls.certFile == "":
		return fmt.Errorf("%s: a client key needs tls.cert_file too", c.origin("tls.key_file"))
	}
	return nil
}

// options returns the quorum.Options of c, loading the TLS files it names. Zero fields keep
// quorum's defaults; quorum validates the combination.
func (c *nodeConfig) options() (quorum.Options, error) {
	opts := quorum.Options{TTL: c.ttl, DriftFactor: c.driftFactor, NodeTimeout: c.nodeTimeout, KeyPrefix: c.keyPrefix,
		Quarantine: c.quarantine}
	tc, err := c.tlsConfig()
	opts.TLSConfig = tc
	return opts, err
}

// tlsConfig builds the TLS configuration for rediss:// URLs, or nil if no TLS setting is given.
func (c *nodeConfig) tlsConfig() (*tls.Config, error) {
	t := c.tls
	if t == (tlsFiles{}) {
		return nil, nil
	}
	tc := &tls.Config{MinVersion: tls.VersionTLS12, ServerName: t.serverName, InsecureSkipVerify: t.insecureSkipVerify}
	if t.caFile != "" {
		pem, err := os.ReadFile(t.caFile)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", c.origin("tls.ca_file"), err)
		}
		tc.RootCAs = x509.NewCertPool()
		if !tc.RootCAs.AppendCertsFromPEM(pem) {
			return nil, fmt.Errorf("%s: no PEM certificate in %s", c.origin("tls.ca_file"), t.caFile)
		}
	}
	if t.certFile != "" {
		cert, err := tls.LoadX509KeyPair(t.certFile, t.keyFile)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", c.origin("tls.cert_file"), err)
		}
		tc.Certificates = []tls.Certificate{cert}
	}
	return tc, nil
}

// commandFlags returns the flag set of a command, to be parsed with parseFlags: own adds the
// command's own flags, cf the node and configuration flags; -h prints help on out, then the two
// groups of flags.
func commandFlags(name, help string, out io.Writer, cf *configFlags, own func(*flag.FlagSet)) *flag.FlagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	own(fs)
	mine := make(map[string]bool)
	fs.VisitAll(func(f *flag.Flag) { mine[f.Name] = true })
	cf.register(fs)
	fs.Usage = func() {
		fmt.Fprint(out, help)
		printFlags(out, fs, func(name string) bool { return mine[name] })
		fmt.Fprint(out, configHelp)
		printFlags(out, fs, func(name string) bool { return !mine[name] })
	}
	return fs
}

// printFlags prints the defaults of the flags of fs that keep selects (all if keep is nil),
// leaving out those without a usage text: flags kept only to explain a retired form.
func printFlags(w io.Writer, fs *flag.FlagSet, keep func(string) bool) {
	sub := flag.NewFlagSet("", flag.ContinueOnError)
	sub.SetOutput(w)
	fs.VisitAll(func(f *flag.Flag) {
		if f.Usage != "" && (keep == nil || keep(f.Name)) {
			sub.Var(f.Value, f.Name, f.Usage)
			sub.Lookup(f.Name).DefValue = f.DefValue
		}
	})
	sub.PrintDefaults()
}
