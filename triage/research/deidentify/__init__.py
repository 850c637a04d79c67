"""De-identification of chat messages for research quotes: detectors, the engine, its worker."""
