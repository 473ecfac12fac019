"""Graphs say which shipped example they were started from (Graph.example, its slug), so that
`load_examples` finds an example by its slug whatever it or the example is called now. Graphs
started from an example before this say so in their first version's message, with the name
examples had then (the slug with spaces, capitalized), which gives the slug back."""

from django.db import migrations, models

FROM_EXAMPLE = ("From the example “", "”")  # the first version's message around the name


def graphs_name_their_examples(apps, schema_editor):
    Graph = apps.get_model("graphs", "Graph")
    GraphVersion = apps.get_model("graphs", "GraphVersion")
    start, end = FROM_EXAMPLE
    firsts = GraphVersion.objects.filter(
        number=1, message__startswith=start, message__endswith=end
    ).values_list("graph_id", "message")
    for graph_id, message in firsts.iterator():
        slug = message[len(start) : -len(end)].lower().replace(" ", "_")
        Graph.objects.filter(pk=graph_id).update(example=slug)


class Migration(migrations.Migration):
    dependencies = [("graphs", "0004_retired_shared_state")]

    operations = [
        migrations.AddField(
            model_name="graph",
            name="example",
            field=models.CharField(blank=True, default="", max_length=100),
        ),
        migrations.RunPython(graphs_name_their_examples, migrations.RunPython.noop),
    ]
