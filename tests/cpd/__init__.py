"""CPD portfolio: reflections, certificates, evidence pack, xAPI and privacy."""
