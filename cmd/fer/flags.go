package main

import (
	"flag"
	"fmt"
	"reflect"
	"strconv"
	"strings"
)

// bindFlags registers one flag per field of the struct *v that has a flag
// tag (its help tag is the help text), recursing into nested structs, so a
// new configuration option is one tagged field. A field tagged flag:"-" has
// no flag. The flag's default is the field's current value; parsing sets the
// field. Supported kinds: string (and named string types), bool, int,
// uint64, float32, float64 and [2]float64 (given as "LO,HI").
func bindFlags(fs *flag.FlagSet, v any) error {
	rv := reflect.ValueOf(v)
	if rv.Kind() != reflect.Pointer || rv.Elem().Kind() != reflect.Struct {
		return fmt.Errorf("bindFlags: want a pointer to a struct, got %T", v)
	}
	return bindStruct(fs, rv.Elem())
}

func bindStruct(fs *flag.FlagSet, rv reflect.Value) error {
	t := rv.Type()
	for i := range t.NumField() {
		f := t.Field(i)
		name, tagged := f.Tag.Lookup("flag")
		switch {
		case name == "-" || !f.IsExported():
			continue
		case !tagged && f.Type.Kind() == reflect.Struct:
			if err := bindStruct(fs, rv.Field(i)); err != nil {
				return err
			}
			continue
		case !tagged:
			return fmt.Errorf("bindFlags: field %s.%s has no flag tag (give it one, or flag:\"-\")", t.Name(), f.Name)
		}
		fv := &fieldFlag{v: rv.Field(i)}
		if err := fv.check(); err != nil {
			return fmt.Errorf("bindFlags: field %s.%s: %w", t.Name(), f.Name, err)
		}
		if fs.Lookup(name) != nil {
			return fmt.Errorf("bindFlags: flag --%s defined twice (field %s.%s)", name, t.Name(), f.Name)
		}
		bindField(fs, fv.v, name, f.Tag.Get("help"), fv)
	}
	return nil
}

// bindField registers field v as flag name: with the flag package's own
// kinds where the field has one (so help names the type, e.g. "-lr float"),
// else through fv.
func bindField(fs *flag.FlagSet, v reflect.Value, name, help string, fv *fieldFlag) {
	ptr := func(t reflect.Type) any { return v.Addr().Convert(t).Interface() }
	switch v.Kind() {
	case reflect.String:
		p := ptr(reflect.TypeFor[*string]()).(*string)
		fs.StringVar(p, name, *p, help)
	case reflect.Bool:
		p := ptr(reflect.TypeFor[*bool]()).(*bool)
		fs.BoolVar(p, name, *p, help)
	case reflect.Int:
		p := ptr(reflect.TypeFor[*int]()).(*int)
		fs.IntVar(p, name, *p, help)
	case reflect.Uint64:
		p := ptr(reflect.TypeFor[*uint64]()).(*uint64)
		fs.Uint64Var(p, name, *p, help)
	case reflect.Float64:
		p := ptr(reflect.TypeFor[*float64]()).(*float64)
		fs.Float64Var(p, name, *p, help)
	default:
		fs.Var(fv, name, help)
	}
}

// fieldFlag is a flag.Value that reads and writes one struct field.
type fieldFlag struct{ v reflect.Value }

var pairType = reflect.TypeFor[[2]float64]()

// check tells whether the field's kind is supported.
func (f *fieldFlag) check() error {
	switch f.v.Kind() {
	case reflect.String, reflect.Bool, reflect.Int, reflect.Uint64, reflect.Float32, reflect.Float64:
		return nil
	}
	if f.v.Type() == pairType {
		return nil
	}
	return fmt.Errorf("unsupported type %s", f.v.Type())
}

// String returns the field's value, "" for a zero value (so that, as for
// the flag package's own flags, help shows no default for it).
func (f *fieldFlag) String() string {
	if f == nil || !f.v.IsValid() || f.v.IsZero() {
		return ""
	}
	switch f.v.Kind() {
	case reflect.String:
		return f.v.String()
	case reflect.Bool:
		return strconv.FormatBool(f.v.Bool())
	case reflect.Int:
		return strconv.FormatInt(f.v.Int(), 10)
	case reflect.Uint64:
		return strconv.FormatUint(f.v.Uint(), 10)
	case reflect.Float32:
		return strconv.FormatFloat(f.v.Float(), 'g', -1, 32)
	case reflect.Float64:
		return strconv.FormatFloat(f.v.Float(), 'g', -1, 64)
	}
	p := f.v.Interface().([2]float64)
	return fmt.Sprintf("%g,%g", p[0], p[1])
}

// Set parses s into the field.
func (f *fieldFlag) Set(s string) error {
	switch f.v.Kind() {
	case reflect.String:
		f.v.SetString(s)
	case reflect.Bool:
		b, err := strconv.ParseBool(s)
		if err != nil {
			return err
		}
		f.v.SetBool(b)
	case reflect.Int:
		n, err := strconv.ParseInt(s, 0, strconv.IntSize)
		if err != nil {
			return err
		}
		f.v.SetInt(n)
	case reflect.Uint64:
		n, err := strconv.ParseUint(s, 0, 64)
		if err != nil {
			return err
		}
		f.v.SetUint(n)
	case reflect.Float32, reflect.Float64:
		x, err := strconv.ParseFloat(s, f.v.Type().Bits())
		if err != nil {
			return err
		}
		f.v.SetFloat(x)
	default:
		lo, hi, ok := strings.Cut(s, ",")
		if !ok {
			return fmt.Errorf("want LO,HI, got %q", s)
		}
		var p [2]float64
		for i, part := range []string{lo, hi} {
			x, err := strconv.ParseFloat(strings.TrimSpace(part), 64)
			if err != nil {
				return err
			}
			p[i] = x
		}
		f.v.Set(reflect.ValueOf(p))
	}
	return nil
}

// IsBoolFlag lets a bool field be given as --name alone.
func (f *fieldFlag) IsBoolFlag() bool { return f.v.IsValid() && f.v.Kind() == reflect.Bool }
