package main

import (
	"errors"
	"fmt"
	"os"
	"slices"
	"strings"

	"gopkg.in/yaml.v3"
)

// loadFile applies the settings of the YAML file at path. label names where the path came from
// (--config or QUORUMLOCK_CONFIG). It reads the file as a yaml.Node so that every error names
// the file and line; unknown and repeated keys are errors, a key without a value is unset.
func (c *nodeConfig) loadFile(path, label string) error {
	b, err := os.ReadFile(path)
	if err != nil {
		return fmt.Errorf("%s: %w", label, err)
	}
	return c.parseFile(path, b)
}

// parseFile applies the settings of the YAML text b of the file at path.
func (c *nodeConfig) parseFile(path string, b []byte) error {
	var doc yaml.Node
	if err := yaml.Unmarshal(b, &doc); err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	if len(doc.Content) == 0 || doc.Content[0].Tag == "!!null" {
		return nil // an empty file sets nothing
	}
	return c.loadMapping(path, "", doc.Content[0])
}

// loadMapping applies the keys of one mapping; parent is "" at the top, "tls" inside tls:.
func (c *nodeConfig) loadMapping(path, parent string, m *yaml.Node) error {
	if m.Kind != yaml.MappingNode {
		what := "the file"
		if parent != "" {
			what = parent
		}
		return fmt.Errorf("%s:%d: %s: want a mapping of settings (key: value), got %s", path, m.Line, what, kindName(m))
	}
	seen := make(map[string]int)
	var errs []error
	for i := 0; i+1 < len(m.Content); i += 2 {
		k, v := m.Content[i], m.Content[i+1]
		key := k.Value
		if k.Kind == yaml.AliasNode && k.Alias != nil {
			key = k.Alias.Value // an alias key's Value is its anchor's name, not the key
		}
		if parent != "" {
			key = parent + "." + key
		}
		if first, dup := seen[key]; dup {
			errs = append(errs, fmt.Errorf("%s:%d: %s: repeated (first at line %d)", path, k.Line, key, first))
			continue
		}
		seen[key] = k.Line
		errs = append(errs, c.loadValue(path, parent, key, k, v))
	}
	return errors.Join(errs...)
}

// loadValue applies one key's value.
func (c *nodeConfig) loadValue(path, parent, key string, k, v *yaml.Node) error {
	if v.Kind == yaml.AliasNode {
		v = v.Alias
	}
	if key == "tls" && v.Kind == yaml.MappingNode {
		return c.loadMapping(path, key, v)
	}
	s := lookupSetting(key)
	if s == nil && key != "tls" {
		return fmt.Errorf("%s:%d: unknown field %q (known: %s)", path, k.Line, key, knownKeys(parent))
	}
	if v.Tag == "!!null" {
		return nil // "ttl:" with no value leaves the setting unset
	}
	at := fmt.Sprintf("%s:%d: %s", path, v.Line, key)
	if s == nil { // tls: with a scalar or a list
		return fmt.Errorf("%s: want a mapping of TLS settings, got %s", at, kindName(v))
	}
	value, err := scalarValue(path, key, v)
	if err != nil {
		return err
	}
	return c.apply(s, value, at)
}

// scalarValue returns the text of a scalar value; nodes may also be a list of URLs, checked one
// by one so that an error names the line of the bad URL.
func scalarValue(path, key string, v *yaml.Node) (string, error) {
	switch {
	case v.Kind == yaml.ScalarNode && v.Style&yaml.TaggedStyle != 0 && !slices.Contains(plainTags, v.Tag):
		return "", fmt.Errorf("%s:%d: %s: YAML tag %s is not supported", path, v.Line, key, v.Tag)
	case v.Kind == yaml.ScalarNode:
		return v.Value, nil
	case v.Kind == yaml.SequenceNode && key == "nodes":
		urls := make([]string, 0, len(v.Content))
		for _, item := range v.Content {
			if item.Kind != yaml.ScalarNode || strings.Contains(item.Value, ",") {
				return "", fmt.Errorf("%s:%d: nodes: want one URL per item, got %s", path, item.Line, kindName(item))
			}
			if err := checkNodeURL(item.Value); err != nil {
				return "", fmt.Errorf("%s:%d: nodes: %w", path, item.Line, err)
			}
			urls = append(urls, item.Value)
		}
		return strings.Join(urls, ","), nil
	}
	return "", fmt.Errorf("%s:%d: %s: want a single value, got %s", path, v.Line, key, kindName(v))
}

// plainTags are the explicit tags a value may carry: with any other (!!binary, a custom tag) the
// text of the scalar is not the value the YAML means.
var plainTags = []string{"!!str", "!!int", "!!float", "!!bool"}

// knownKeys lists the keys allowed inside parent ("" for the top level).
func knownKeys(parent string) string {
	var keys []string
	for _, s := range settings {
		p, name, nested := strings.Cut(s.key, ".")
		switch {
		case parent == "" && !nested:
			keys = append(keys, s.key)
		case parent == "" && nested && (len(keys) == 0 || keys[len(keys)-1] != p):
			keys = append(keys, p)
		case parent != "" && nested && p == parent:
			keys = append(keys, name)
		}
	}
	return strings.Join(keys, ", ")
}

// kindName says what a YAML node is, for errors.
func kindName(n *yaml.Node) string {
	switch n.Kind {
	case yaml.MappingNode:
		return "a mapping"
	case yaml.SequenceNode:
		return "a list"
	case yaml.ScalarNode:
		return fmt.Sprintf("%q", n.Value)
	}
	return "something else"
}
