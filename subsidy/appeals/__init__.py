"""Appeals against a rejection, an ineligible result or a recovery notice."""
