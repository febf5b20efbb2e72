"""AIS in, behaviour out: readers for published AIS formats, tracks per ship, and the events
derived from them (port calls, dark gaps, ship-to-ship meetings, identity changes, jumps)."""
