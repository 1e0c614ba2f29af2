package fernb

// Consistency shows whether the data's splits look alike (pixel mean,
// spread and sharpness against train's) and the per-split sharpness
// histogram (Study.Consistency, Study.SharpnessHistogram).
func (n *Notebook) Consistency() {
	n.do(call("Consistency"), func(s *Study) error {
		r, err := s.Consistency()
		if err != nil {
			return err
		}
		showText(r.String())
		return n.show(sharpnessFigure(r, s.Label()))
	})
}
