package latch_test

import (
	"bufio"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// TestREADMEGoBlocks keeps the README's Go code true: every ```go block
// of README.md must be, line for line, a region between "// readme:begin"
// and "// readme:end" of an example or test that go test compiles and
// runs (Example functions with their Output, examples/*/main.go with its
// test), and every such region must be in the README. To change a block,
// change the region and copy it (without its indentation) into the
// README.
func TestREADMEGoBlocks(t *testing.T) {
	readme, err := os.ReadFile("README.md")
	if err != nil {
		t.Fatal(err)
	}
	blocks := readmeGoBlocks(string(readme))
	if len(blocks) == 0 {
		t.Fatal("README.md: no ```go block found")
	}
	regions := readmeRegions(t)
	used := map[string]bool{}
	for _, b := range blocks {
		where, ok := regions[b.code]
		if !ok {
			t.Errorf("README.md:%d: this ```go block is no readme region of an example; put it in one (between // readme:begin and // readme:end) and copy it from there:\n%s", b.line, b.code)
			continue
		}
		used[where] = true
	}
	for _, where := range regions {
		if !used[where] {
			t.Errorf("%s: readme region is not in README.md (any more?)", where)
		}
	}
}

type goBlock struct {
	line int // of the opening fence, 1-based
	code string
}

// readmeGoBlocks returns the ```go blocks of a Markdown text.
func readmeGoBlocks(md string) []goBlock {
	var blocks []goBlock
	var cur *goBlock
	var lines []string
	for i, l := range strings.Split(md, "\n") {
		switch {
		case cur == nil && strings.TrimSpace(l) == "```go":
			cur, lines = &goBlock{line: i + 1}, nil
		case cur != nil && strings.TrimSpace(l) == "```":
			cur.code = strings.Join(lines, "\n")
			blocks = append(blocks, *cur)
			cur = nil
		case cur != nil:
			lines = append(lines, l)
		}
	}
	return blocks
}

// readmeRegions returns the readme regions of the module's Go files,
// without the indentation of their begin marker, and where each is.
func readmeRegions(t *testing.T) map[string]string {
	t.Helper()
	regions := map[string]string{}
	err := filepath.WalkDir(".", func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			if name := d.Name(); path != "." && (strings.HasPrefix(name, ".") || name == "node_modules" || name == "testdata") {
				return filepath.SkipDir
			}
			return nil
		}
		if !strings.HasSuffix(path, ".go") {
			return nil
		}
		f, err := os.Open(path)
		if err != nil {
			return err
		}
		defer f.Close()
		var indent string
		var lines []string
		start, n := 0, 0
		sc := bufio.NewScanner(f)
		for sc.Scan() {
			n++
			l := sc.Text()
			switch trimmed := strings.TrimSpace(l); {
			case trimmed == "// readme:begin":
				if start != 0 {
					t.Errorf("%s:%d: readme:begin inside the region of line %d", path, n, start)
				}
				start, lines = n, nil
				indent = l[:len(l)-len(strings.TrimLeft(l, " \t"))]
			case trimmed == "// readme:end":
				if start == 0 {
					t.Errorf("%s:%d: readme:end without readme:begin", path, n)
					continue
				}
				if !strings.HasSuffix(path, "_test.go") && !strings.HasPrefix(filepath.ToSlash(path), "examples/") {
					t.Errorf("%s:%d: a readme region must be in a test or example file, where go test runs it", path, start)
				}
				where := path + ":" + strconv.Itoa(start)
				code := strings.Join(lines, "\n")
				if other, dup := regions[code]; dup {
					t.Errorf("%s: the same readme region as %s", where, other)
				}
				regions[code] = where
				start = 0
			case start != 0:
				if l != "" && !strings.HasPrefix(l, indent) {
					t.Errorf("%s:%d: line indented less than its readme:begin", path, n)
				}
				lines = append(lines, strings.TrimPrefix(l, indent))
			}
		}
		if start != 0 {
			t.Errorf("%s:%d: readme:begin without readme:end", path, start)
		}
		return sc.Err()
	})
	if err != nil {
		t.Fatal(err)
	}
	return regions
}
