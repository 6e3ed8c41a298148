"""Routing benchmark: a discrete-event simulation of a hall day that drives the production
routing policy and ETA predictor, its scenarios, baselines, metrics and the tidal advisor."""
