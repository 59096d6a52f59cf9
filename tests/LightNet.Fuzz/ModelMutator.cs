using Google.Protobuf;
using LightNet.Onnx.Protos;
using LightNet.Operators;

namespace LightNet.Fuzz;

/// <summary>
/// Structure-aware mutations of an ONNX model at the protobuf field level: tensor and value dimensions, attribute
/// values and kinds, element types, raw_data sizes, external-data locations and offsets, operator types, node wiring,
/// opset versions and huge counts of nodes, inputs and attributes. A quarter of the time (and whenever the input does
/// not parse) the serialized bytes are mutated instead, so the reader's own parsing is exercised too.
/// </summary>
internal static class ModelMutator
{
    private static readonly string[] s_attributeNames =
    [
        "kernel_shape", "strides", "pads", "dilations", "group", "axis", "axes", "perm", "split", "alpha", "beta", "epsilon",
        "size", "mode", "to", "keepdims", "transA", "transB", "auto_pad", "ceil_mode", "count_include_pad", "value", "starts",
        "ends", "steps", "blocksize", "coordinate_transformation_mode", "output_padding", "output_shape", "bias", "lambd",
    ];

    private static readonly string[] s_externalLocations =
    [
        "../../../../etc/passwd", "/etc/passwd", "weights.bin", "sub/../../outside.bin", "", ".", "..", "etc/passwd",
        new string('a', 300), "nul\0byte", "C:\\Windows\\win.ini", "/dev/zero", "/proc/self/mem",
    ];

    private static readonly Lazy<string[]> s_opTypes = new(() =>
        [.. OperatorSupport.CpuSimd.Select(o => o.OpType).Distinct(StringComparer.Ordinal), "NoSuchOp", "If", "Loop", "Scan"]);

    /// <summary>Mutates <paramref name="input"/>; deterministic for a given <see cref="Random"/>.</summary>
    public static byte[] Mutate(byte[] input, Random random)
    {
        ModelProto proto;
        try
        {
            proto = ModelProto.Parser.ParseFrom(input);
        }
        catch (InvalidProtocolBufferException)
        {
            return ByteMutator.Mutate(input, random);
        }

        if (random.Next(4) == 0 || proto.Graph is null)
        {
            return ByteMutator.Mutate(input, random);
        }

        int rounds = random.Next(3) == 0 ? 2 : 1;
        for (int i = 0; i < rounds; i++)
        {
            MutateOnce(proto, random);
        }

        return proto.ToByteArray();
    }

    private static void MutateOnce(ModelProto proto, Random random)
    {
        GraphProto g = proto.Graph;
        switch (random.Next(12))
        {
            case 0:
                MutateDimension(g, random);
                break;
            case 1:
            case 2:
                MutateAttribute(g, random);
                break;
            case 3:
                MutateElementType(g, random);
                break;
            case 4:
                MutateRawData(g, random);
                break;
            case 5:
                MutateExternalData(g, random);
                break;
            case 6:
                if (g.Node.Count > 0)
                {
                    g.Node[random.Next(g.Node.Count)].OpType = s_opTypes.Value[random.Next(s_opTypes.Value.Length)];
                }

                break;
            case 7:
                Rewire(g, random);
                break;
            case 8:
                if (proto.OpsetImport.Count > 0)
                {
                    proto.OpsetImport[0].Version = random.Next(3) == 0 ? ByteMutator.InterestingLong(random) : random.Next(1, 26);
                }

                break;
            case 9:
                RemoveSomething(g, random);
                break;
            case 10:
                Duplicate(g, random);
                break;
            default:
                HugeCount(g, random);
                break;
        }
    }

    private static void MutateDimension(GraphProto g, Random random)
    {
        var shapes = g.Input.Concat(g.Output).Concat(g.ValueInfo)
            .Where(v => v.Type?.TensorType?.Shape is not null).Select(v => v.Type.TensorType.Shape).ToList();
        if (g.Initializer.Count > 0 && (shapes.Count == 0 || random.Next(2) == 0))
        {
            TensorProto t = g.Initializer[random.Next(g.Initializer.Count)];
            if (t.Dims.Count == 0 || random.Next(5) == 0)
            {
                t.Dims.Add(ByteMutator.InterestingLong(random));
            }
            else
            {
                t.Dims[random.Next(t.Dims.Count)] = ByteMutator.InterestingLong(random);
            }

            return;
        }

        if (shapes.Count == 0)
        {
            return;
        }

        TensorShapeProto shape = shapes[random.Next(shapes.Count)];
        if (shape.Dim.Count == 0 || random.Next(6) == 0)
        {
            shape.Dim.Add(new TensorShapeProto.Types.Dimension { DimValue = ByteMutator.InterestingLong(random) });
        }
        else if (random.Next(4) == 0)
        {
            shape.Dim[random.Next(shape.Dim.Count)] = new TensorShapeProto.Types.Dimension { DimParam = random.Next(2) == 0 ? "N" : "" };
        }
        else if (random.Next(8) == 0)
        {
            shape.Dim.RemoveAt(random.Next(shape.Dim.Count));
        }
        else
        {
            shape.Dim[random.Next(shape.Dim.Count)] = new TensorShapeProto.Types.Dimension { DimValue = ByteMutator.InterestingLong(random) };
        }
    }

    private static void MutateAttribute(GraphProto g, Random random)
    {
        if (g.Node.Count == 0)
        {
            return;
        }

        NodeProto node = g.Node[random.Next(g.Node.Count)];
        AttributeProto a;
        if (node.Attribute.Count == 0 || random.Next(4) == 0)
        {
            a = new AttributeProto { Name = s_attributeNames[random.Next(s_attributeNames.Length)] };
            node.Attribute.Add(a);
            a.Type = (AttributeProto.Types.AttributeType)random.Next(1, 8);
        }
        else
        {
            a = node.Attribute[random.Next(node.Attribute.Count)];
            if (random.Next(8) == 0)
            {
                a.Type = (AttributeProto.Types.AttributeType)random.Next(0, 16);
            }
        }

        switch (a.Type)
        {
            case AttributeProto.Types.AttributeType.Int:
                a.I = ByteMutator.InterestingLong(random);
                break;
            case AttributeProto.Types.AttributeType.Float:
                a.F = InterestingFloat(random);
                break;
            case AttributeProto.Types.AttributeType.Ints:
                if (a.Ints.Count == 0 || random.Next(4) == 0)
                {
                    int count = random.Next(5) == 0 ? random.Next(0, 64) : random.Next(0, 5);
                    a.Ints.Clear();
                    for (int k = 0; k < count; k++)
                    {
                        a.Ints.Add(ByteMutator.InterestingLong(random));
                    }
                }
                else
                {
                    a.Ints[random.Next(a.Ints.Count)] = ByteMutator.InterestingLong(random);
                }

                break;
            case AttributeProto.Types.AttributeType.Floats:
                a.Floats.Add(InterestingFloat(random));
                if (a.Floats.Count > 1 && random.Next(2) == 0)
                {
                    a.Floats[random.Next(a.Floats.Count)] = InterestingFloat(random);
                }

                break;
            case AttributeProto.Types.AttributeType.String:
                a.S = ByteString.CopyFromUtf8(random.Next(3) switch { 0 => "", 1 => "nearest", _ => new string('x', random.Next(1, 40)) });
                break;
            case AttributeProto.Types.AttributeType.Tensor:
                a.T = new TensorProto { DataType = random.Next(0, 17), Dims = { ByteMutator.InterestingLong(random) }, RawData = ByteString.CopyFrom(new byte[random.Next(0, 16)]) };
                break;
            default:
                a.I = ByteMutator.InterestingLong(random);
                break;
        }
    }

    private static float InterestingFloat(Random random) => random.Next(8) switch
    {
        0 => float.NaN,
        1 => float.PositiveInfinity,
        2 => float.NegativeInfinity,
        3 => 0f,
        4 => -1f,
        5 => float.MaxValue,
        6 => 1e-30f,
        _ => (float)(random.NextDouble() * 2000 - 1000),
    };

    private static void MutateElementType(GraphProto g, Random random)
    {
        int type = random.Next(6) == 0 ? random.Next(-2, 40) : random.Next(0, 17);
        if (g.Initializer.Count > 0 && random.Next(2) == 0)
        {
            g.Initializer[random.Next(g.Initializer.Count)].DataType = type;
            return;
        }

        var values = g.Input.Concat(g.Output).Concat(g.ValueInfo).Where(v => v.Type?.TensorType is not null).ToList();
        if (values.Count > 0)
        {
            values[random.Next(values.Count)].Type.TensorType.ElemType = type;
        }
    }

    private static void MutateRawData(GraphProto g, Random random)
    {
        if (g.Initializer.Count == 0)
        {
            return;
        }

        TensorProto t = g.Initializer[random.Next(g.Initializer.Count)];
        byte[] raw = t.RawData.ToByteArray();
        switch (random.Next(5))
        {
            case 0:
                t.RawData = ByteString.CopyFrom(raw.AsSpan(0, random.Next(raw.Length + 1)));
                break;
            case 1:
                t.RawData = ByteString.CopyFrom([.. raw, .. new byte[random.Next(1, 64)]]);
                break;
            case 2:
                // The values moved to the typed field (and the raw bytes dropped), possibly with a count mismatch.
                t.RawData = ByteString.Empty;
                for (int k = random.Next(0, 20); k > 0; k--)
                {
                    t.FloatData.Add(InterestingFloat(random));
                    t.Int64Data.Add(ByteMutator.InterestingLong(random));
                }

                break;
            case 3:
                t.RawData = ByteString.CopyFrom(ByteMutator.Mutate(raw, random));
                break;
            default:
                t.RawData = ByteString.Empty;
                break;
        }
    }

    private static void MutateExternalData(GraphProto g, Random random)
    {
        if (g.Initializer.Count == 0)
        {
            return;
        }

        TensorProto t = g.Initializer[random.Next(g.Initializer.Count)];
        t.DataLocation = random.Next(6) == 0 ? TensorProto.Types.DataLocation.Default : TensorProto.Types.DataLocation.External;
        if (random.Next(3) != 0)
        {
            t.RawData = ByteString.Empty;
        }

        t.ExternalData.Clear();
        t.ExternalData.Add(new StringStringEntryProto { Key = "location", Value = s_externalLocations[random.Next(s_externalLocations.Length)] });
        if (random.Next(2) == 0)
        {
            t.ExternalData.Add(new StringStringEntryProto { Key = "offset", Value = ByteMutator.InterestingLong(random).ToString(System.Globalization.CultureInfo.InvariantCulture) });
        }

        if (random.Next(2) == 0)
        {
            t.ExternalData.Add(new StringStringEntryProto { Key = "length", Value = random.Next(4) == 0 ? "ten" : ByteMutator.InterestingLong(random).ToString(System.Globalization.CultureInfo.InvariantCulture) });
        }
    }

    private static void Rewire(GraphProto g, Random random)
    {
        if (g.Node.Count == 0)
        {
            return;
        }

        var names = g.Input.Select(v => v.Name).Concat(g.Initializer.Select(t => t.Name)).Concat(g.Node.SelectMany(n => n.Output)).Append("").Append("nowhere").ToList();
        NodeProto node = g.Node[random.Next(g.Node.Count)];
        switch (random.Next(4))
        {
            case 0 when node.Input.Count > 0:
                node.Input[random.Next(node.Input.Count)] = names[random.Next(names.Count)];
                break;
            case 1:
                node.Input.Add(names[random.Next(names.Count)]);
                break;
            case 2 when node.Output.Count > 0:
                node.Output[random.Next(node.Output.Count)] = names[random.Next(names.Count)];
                break;
            default:
                if (g.Output.Count > 0)
                {
                    g.Output[random.Next(g.Output.Count)].Name = names[random.Next(names.Count)];
                }

                break;
        }
    }

    private static void RemoveSomething(GraphProto g, Random random)
    {
        switch (random.Next(4))
        {
            case 0 when g.Node.Count > 0:
                g.Node.RemoveAt(random.Next(g.Node.Count));
                break;
            case 1 when g.Initializer.Count > 0:
                g.Initializer.RemoveAt(random.Next(g.Initializer.Count));
                break;
            case 2 when g.Input.Count > 0:
                g.Input.RemoveAt(random.Next(g.Input.Count));
                break;
            default:
                if (g.Node.Count > 0)
                {
                    NodeProto n = g.Node[random.Next(g.Node.Count)];
                    if (n.Attribute.Count > 0)
                    {
                        n.Attribute.RemoveAt(random.Next(n.Attribute.Count));
                    }
                }

                break;
        }
    }

    private static void Duplicate(GraphProto g, Random random)
    {
        if (g.Node.Count == 0)
        {
            return;
        }

        // A node again (same outputs: a name clash), or moved to the front (an order the graph must sort).
        NodeProto node = g.Node[random.Next(g.Node.Count)];
        if (random.Next(2) == 0)
        {
            g.Node.Add(node.Clone());
        }
        else
        {
            g.Node.Remove(node);
            g.Node.Insert(0, node);
        }
    }

    private static void HugeCount(GraphProto g, Random random)
    {
        // Counts that made loading quadratic or cubic: thousands of inputs, attributes or chained nodes.
        int count = random.Next(4) == 0 ? 30_000 : random.Next(100, 3000);
        switch (random.Next(3))
        {
            case 0:
                for (int k = 0; k < count; k++)
                {
                    g.Input.Add(new ValueInfoProto { Name = $"extra{k}", Type = new TypeProto { TensorType = new TypeProto.Types.Tensor { ElemType = 1 } } });
                }

                break;
            case 1 when g.Node.Count > 0:
            {
                NodeProto n = g.Node[random.Next(g.Node.Count)];
                for (int k = 0; k < count; k++)
                {
                    n.Attribute.Add(new AttributeProto { Name = $"a{k}", Type = AttributeProto.Types.AttributeType.Int, I = k });
                }

                break;
            }

            default:
            {
                if (g.Output.Count == 0)
                {
                    break;
                }

                // A chain of Identity nodes in front of the first output.
                string last = g.Output[0].Name;
                foreach (NodeProto producer in g.Node.Where(n => n.Output.Contains(last)))
                {
                    int at = producer.Output.IndexOf(last);
                    producer.Output[at] = "chain0";
                }

                int chain = Math.Min(count, 2000);
                for (int k = 0; k < chain; k++)
                {
                    g.Node.Add(new NodeProto { OpType = "Identity", Name = $"chain{k}", Input = { $"chain{k}" }, Output = { k == chain - 1 ? last : $"chain{k + 1}" } });
                }

                break;
            }
        }
    }
}
