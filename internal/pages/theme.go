package pages

import (
	"html/template"
	"math"
	"net/url"
	"regexp"
	"strconv"
	"strings"
)

// Theme customises the look of every page.
type Theme struct {
	// BrandColor is the CSS colour of buttons and accents. Only #rgb,
	// #rrggbb, rgb()/rgba() with numeric arguments and bare colour names are
	// accepted; anything else falls back to the default "#346df1".
	BrandColor string
	// LogoURL is an optional image shown above the card. Only http(s) URLs
	// and paths starting with "/" are used.
	LogoURL string
	// AppName is used in <title> and headings; default "Latch".
	AppName string
}

const (
	defaultBrandColor = "#346df1"
	defaultAppName    = "Latch"
)

// style is a Theme made safe to put into a page.
type style struct {
	Brand   template.CSS // validated colour
	OnBrand template.CSS // text colour readable on Brand
	Logo    string
	AppName string
}

var (
	hexColor   = regexp.MustCompile(`^#(?:[0-9a-f]{3}|[0-9a-f]{6})$`)
	rgbColor   = regexp.MustCompile(`^rgba?\(([0-9.%,/ ]{1,60})\)$`)
	namedColor = regexp.MustCompile(`^[a-z]{3,30}$`)
)

// resolve validates t and fills in the defaults.
func (t Theme) resolve() style {
	brand, rgb, ok := parseColor(t.BrandColor)
	if !ok {
		brand, rgb, _ = parseColor(defaultBrandColor)
	}
	onBrand := "#ffffff"
	if rgb != nil && contrast(*rgb, [3]float64{17, 17, 17}) > contrast(*rgb, [3]float64{255, 255, 255}) {
		onBrand = "#111111"
	}
	name := strings.TrimSpace(t.AppName)
	if name == "" {
		name = defaultAppName
	}
	return style{
		// Both values match a strict pattern of characters that cannot
		// leave a CSS declaration, so marking them as CSS is safe.
		Brand:   template.CSS(brand),
		OnBrand: template.CSS(onBrand),
		Logo:    safeLogo(t.LogoURL),
		AppName: name,
	}
}

// parseColor validates a colour and returns it normalised, with its RGB
// components when they are known (not for colour names).
func parseColor(s string) (css string, rgb *[3]float64, ok bool) {
	s = strings.ToLower(strings.TrimSpace(s))
	switch {
	case hexColor.MatchString(s):
		h := s[1:]
		if len(h) == 3 {
			h = string([]byte{h[0], h[0], h[1], h[1], h[2], h[2]})
		}
		var c [3]float64
		for i := range c {
			v, _ := strconv.ParseUint(h[2*i:2*i+2], 16, 8)
			c[i] = float64(v)
		}
		return s, &c, true
	case rgbColor.MatchString(s):
		args := strings.FieldsFunc(rgbColor.FindStringSubmatch(s)[1], func(r rune) bool {
			return r == ',' || r == ' ' || r == '/'
		})
		if len(args) != 3 && len(args) != 4 {
			return "", nil, false
		}
		var c [3]float64
		for i, a := range args {
			pct := strings.HasSuffix(a, "%")
			v, err := strconv.ParseFloat(strings.TrimSuffix(a, "%"), 64)
			if err != nil {
				return "", nil, false
			}
			if i < 3 {
				if pct {
					v *= 2.55
				}
				c[i] = math.Min(v, 255)
			}
		}
		return s, &c, true
	case namedColor.MatchString(s):
		return s, nil, true
	}
	return "", nil, false
}

// contrast returns the WCAG contrast ratio of two sRGB colours.
func contrast(a, b [3]float64) float64 {
	la, lb := luminance(a), luminance(b)
	if la < lb {
		la, lb = lb, la
	}
	return (la + 0.05) / (lb + 0.05)
}

// luminance returns the WCAG relative luminance of an sRGB colour.
func luminance(c [3]float64) float64 {
	var lin [3]float64
	for i, v := range c {
		v /= 255
		if v <= 0.04045 {
			lin[i] = v / 12.92
		} else {
			lin[i] = math.Pow((v+0.055)/1.055, 2.4)
		}
	}
	return 0.2126*lin[0] + 0.7152*lin[1] + 0.0722*lin[2]
}

// safeLogo returns s if it is an http(s) URL or a path starting with "/",
// and "" otherwise.
func safeLogo(s string) string {
	s = strings.TrimSpace(s)
	if strings.ContainsAny(s, "\\\x00\t\r\n ") {
		return ""
	}
	u, err := url.Parse(s)
	if err != nil {
		return ""
	}
	switch {
	case u.Scheme == "" && u.Host == "" && strings.HasPrefix(s, "/") && !strings.HasPrefix(s, "//"):
		return s
	case (u.Scheme == "http" || u.Scheme == "https") && u.Host != "":
		return s
	}
	return ""
}

// ValidColor reports whether s is a brand colour the pages use (see
// [Theme.BrandColor]); any other falls back to the default.
func ValidColor(s string) bool {
	_, _, ok := parseColor(s)
	return ok
}

// ValidLogoURL reports whether s is a logo URL the pages show (see
// [Theme.LogoURL]); any other is left out.
func ValidLogoURL(s string) bool { return safeLogo(s) != "" }
