using System.Reflection;
using System.Text.RegularExpressions;
using System.Xml.Linq;
using Xunit;

namespace LightNet.Tests;

/// <summary>
/// Issue 19, "grep-able": no catch-all that swallows (each handler of every exception either rethrows or says on a
/// <c>// catch-all:</c> line why it keeps the exception), and the public entry points document what they throw.
/// </summary>
public partial class ExceptionAuditTests
{
    /// <summary>The public entry points whose methods must each carry an <c>&lt;exception cref=...&gt;</c>.</summary>
    private static readonly Type[] EntryPoints =
    [
        typeof(Model), typeof(LightNet.Backends.Backend), typeof(LightNet.Profiling.Profiler), typeof(LightNet.Postprocessing.Classifier),
        typeof(LightNet.Compression.Quantizer), typeof(LightNet.Compression.Float16Converter), typeof(LightNet.Zoo.ModelZoo), typeof(LightNet.Zoo.ModelDownloader),
        typeof(LightNet.Study.StudyRunner), typeof(LightNet.Conformance.ConformanceRunner), typeof(LightNet.Isolation.IsolationWorker),
    ];

    /// <summary>Methods that throw nothing by design, and say so here (the audit's list of exceptions to the rule).</summary>
    private static readonly HashSet<string> NeverThrow = new(StringComparer.Ordinal)
    {
        "Backend.CheckAvailability", // a probe: every failure becomes an unavailable answer with its reason
        "Backend.DescribeAvailability", // the same, without loading native libraries
        "Classifier.Dispose",
    };

    private static string RepositoryRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "LightNet.sln")) && Directory.Exists(Path.Combine(dir.FullName, "src")))
            {
                return dir.FullName;
            }
        }

        throw new DirectoryNotFoundException("The repository root (LightNet.sln) was not found above " + AppContext.BaseDirectory);
    }

    [GeneratedRegex(@"\bcatch\s*(\(\s*(System\.)?Exception(\s+\w+)?\s*\))?\s*$")]
    private static partial Regex CatchAll();

    [Fact]
    public void NoCatchAllSwallowsAnException()
    {
        var offenders = new List<string>();
        string src = Path.Combine(RepositoryRoot(), "src");
        foreach (string file in Directory.EnumerateFiles(src, "*.cs", SearchOption.AllDirectories)
                     .Where(f => !f.Contains($"{Path.DirectorySeparatorChar}obj{Path.DirectorySeparatorChar}", StringComparison.Ordinal)))
        {
            string[] lines = File.ReadAllLines(file);
            for (int i = 0; i < lines.Length; i++)
            {
                if (!CatchAll().IsMatch(lines[i]))
                {
                    continue; // a filtered handler ('when (...)') or a specific type
                }

                string block = Block(lines, i + 1);
                bool rethrows = Regex.IsMatch(block, @"\bthrow\b");
                bool justified = block.Contains("// catch-all:", StringComparison.Ordinal);
                if (!rethrows && !justified)
                {
                    offenders.Add($"{Path.GetRelativePath(src, file)}:{i + 1}: {lines[i].Trim()}");
                }
            }
        }

        Assert.True(offenders.Count == 0, "Catch-alls that neither rethrow nor say why (// catch-all: ...):\n" + string.Join("\n", offenders));
    }

    /// <summary>The handler's body: from the '{' at or after <paramref name="start"/> to its matching '}'.</summary>
    private static string Block(string[] lines, int start)
    {
        var text = new System.Text.StringBuilder();
        int depth = 0;
        bool opened = false;
        for (int i = start; i < lines.Length; i++)
        {
            text.AppendLine(lines[i]);
            foreach (char c in lines[i])
            {
                if (c == '{')
                {
                    depth++;
                    opened = true;
                }
                else if (c == '}')
                {
                    depth--;
                }
            }

            if (opened && depth <= 0)
            {
                break;
            }
        }

        return text.ToString();
    }

    [Fact]
    public void PublicEntryPointsDocumentWhatTheyThrow()
    {
        string xml = Path.Combine(Path.GetDirectoryName(typeof(Model).Assembly.Location)!, "LightNet.xml");
        Assert.True(File.Exists(xml), $"{xml} is missing (GenerateDocumentationFile)");
        Dictionary<string, XElement> docs = XDocument.Load(xml).Descendants("member")
            .ToDictionary(m => (string)m.Attribute("name")!, m => m, StringComparer.Ordinal);

        var missing = new List<string>();
        foreach (Type type in EntryPoints)
        {
            foreach (MethodInfo method in type.GetMethods(BindingFlags.Public | BindingFlags.Static | BindingFlags.Instance | BindingFlags.DeclaredOnly))
            {
                if (method.IsSpecialName || method.Name is "ToString" or "Equals" or "GetHashCode" || NeverThrow.Contains($"{type.Name}.{method.Name}"))
                {
                    continue;
                }

                string id = DocId(method);
                if (!docs.TryGetValue(id, out XElement? doc))
                {
                    missing.Add($"{id} (no XML doc)");
                }
                else if (!doc.Elements("exception").Any() && !doc.Elements("inheritdoc").Any())
                {
                    missing.Add(id);
                }
            }
        }

        Assert.True(missing.Count == 0, "Public entry points without <exception cref=...>:\n" + string.Join("\n", missing));
    }

    /// <summary>The XML documentation id of a method ("M:Namespace.Type.Name(ParamType,...)"), enough for these types.</summary>
    private static string DocId(MethodInfo method)
    {
        string name = method.DeclaringType!.FullName!.Replace('+', '.') + "." + method.Name;
        if (method.IsGenericMethodDefinition)
        {
            name += "``" + method.GetGenericArguments().Length;
        }

        ParameterInfo[] parameters = method.GetParameters();
        return parameters.Length == 0 ? "M:" + name : "M:" + name + "(" + string.Join(",", parameters.Select(p => TypeId(p.ParameterType, method))) + ")";
    }

    private static string TypeId(Type type, MethodInfo method)
    {
        if (type.IsByRef)
        {
            return TypeId(type.GetElementType()!, method) + "@";
        }

        if (type.IsArray)
        {
            return TypeId(type.GetElementType()!, method) + "[]";
        }

        if (type.IsGenericMethodParameter)
        {
            return "``" + type.GenericParameterPosition;
        }

        if (type.IsGenericParameter)
        {
            return "`" + type.GenericParameterPosition;
        }

        if (type.IsGenericType)
        {
            string definition = type.GetGenericTypeDefinition().FullName!;
            definition = definition[..definition.IndexOf('`', StringComparison.Ordinal)].Replace('+', '.');
            return definition + "{" + string.Join(",", type.GetGenericArguments().Select(a => TypeId(a, method))) + "}";
        }

        return type.FullName!.Replace('+', '.');
    }
}
