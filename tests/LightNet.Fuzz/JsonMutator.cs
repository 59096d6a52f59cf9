using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace LightNet.Fuzz;

/// <summary>
/// Structure-aware mutations of a JSON document (study results, profile reports): a random value replaced by an
/// extreme number, a string of another shape, null, or a value of another kind; array elements removed, duplicated or
/// multiplied; object members removed. A quarter of the time (and when the input is not JSON), byte-level havoc.
/// </summary>
internal static class JsonMutator
{
    /// <summary>Mutates <paramref name="input"/>; deterministic for a given <see cref="Random"/>.</summary>
    public static byte[] Mutate(byte[] input, Random random)
    {
        JsonNode? root;
        var all = new List<JsonNode>();
        try
        {
            // JsonNode decodes lazily: collecting every node reads (and checks) the whole document now (invalid UTF-8,
            // a duplicated member name).
            root = JsonNode.Parse(input);
            if (root is not null)
            {
                Collect(root, all);
            }
        }
        catch (Exception e) when (e is JsonException or InvalidOperationException or ArgumentException)
        {
            return ByteMutator.Mutate(input, random);
        }

        if (root is null || random.Next(4) == 0)
        {
            return ByteMutator.Mutate(input, random);
        }

        int rounds = 1 + random.Next(3);
        for (int r = 0; r < rounds && all.Count > 1; r++)
        {
            JsonNode node = all[1 + random.Next(all.Count - 1)];
            JsonNode? parent = node.Parent;
            JsonNode? replacement = random.Next(7) switch
            {
                0 => JsonValue.Create(random.Next(6) switch { 0 => 1e308, 1 => -1.0, 2 => 0.0, 3 => 4.9e-324, 4 => 9007199254740993.0, _ => 1e15 }),
                1 => JsonValue.Create(ByteMutator.InterestingLong(random)),
                2 => JsonValue.Create(random.Next(4) switch { 0 => "", 1 => "NaN", 2 => new string('x', 10_000), _ => "ort-cpu:fp16,device=99" }),
                3 => null,
                4 => new JsonArray(),
                5 => new JsonObject(),
                _ => node.DeepClone(),
            };

            if (parent is JsonObject obj)
            {
                string key = obj.First(p => ReferenceEquals(p.Value, node)).Key;
                if (random.Next(5) == 0)
                {
                    obj.Remove(key);
                }
                else
                {
                    obj[key] = replacement;
                }
            }
            else if (parent is JsonArray array)
            {
                int at = array.IndexOf(node);
                switch (random.Next(4))
                {
                    case 0:
                        array.RemoveAt(at);
                        break;
                    case 1:
                        for (int k = random.Next(2, 50); k > 0; k--)
                        {
                            array.Add(node.DeepClone());
                        }

                        break;
                    default:
                        array[at] = replacement;
                        break;
                }
            }

            all.Clear();
            Collect(root, all);
        }

        return Encoding.UTF8.GetBytes(root.ToJsonString());
    }

    private static void Collect(JsonNode node, List<JsonNode> all)
    {
        all.Add(node);
        if (node is JsonObject obj)
        {
            foreach (KeyValuePair<string, JsonNode?> p in obj.ToList())
            {
                if (p.Value is not null)
                {
                    Collect(p.Value, all);
                }
            }
        }
        else if (node is JsonArray array)
        {
            foreach (JsonNode? item in array.ToList())
            {
                if (item is not null)
                {
                    Collect(item, all);
                }
            }
        }
    }
}
