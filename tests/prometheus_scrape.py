"""/metrics read as Prometheus reads it: the exposition parsed by prometheus_client's own
parser, its samples looked up by name and labels."""
from prometheus_client.parser import text_string_to_metric_families

# The sample names each family type exposes (a counter "x" is scraped as x_total).
SUFFIXES = {"counter": ("_total", "_created"),
            "histogram": ("_bucket", "_count", "_sum", "_created"),
            "gauge": ("",), "summary": ("", "_count", "_sum", "_created"), "info": ("_info",),
            "untyped": ("",)}


class Scrape:
    def __init__(self, text):
        self.families = list(text_string_to_metric_families(text))

    def names(self):
        """Every sample name the families may carry, with or without samples yet."""
        return {family.name + suffix for family in self.families
                for suffix in SUFFIXES.get(family.type, ("",))}

    def value(self, name, **labels):
        """The sample's value; 0 when the labelled series does not exist yet (a counter
        nobody has counted into)."""
        for family in self.families:
            for sample in family.samples:
                if sample.name == name and all(sample.labels.get(k) == v
                                                for k, v in labels.items()):
                    return sample.value
        return 0.0


def scrape(client, **request):
    response = client.get("/metrics", **request)
    assert response.status_code == 200, response.status_code
    assert response.content_type.startswith("text/plain; version=")
    return Scrape(response.get_data(as_text=True))
