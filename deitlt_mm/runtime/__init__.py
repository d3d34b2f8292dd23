"""Run lifecycle around mmengine's Runner: environment, distribution, signals, locks."""
