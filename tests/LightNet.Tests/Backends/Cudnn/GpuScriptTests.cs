using System.Text.RegularExpressions;
using LightNet.Zoo;
using Xunit;

namespace LightNet.Tests.Backends.Cudnn;

/// <summary>The prepared GPU check (tests/gpu/run.sh) runs on a machine CI does not have: keep it in step with the code.</summary>
public sealed class GpuScriptTests
{
    private static string Script()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            string path = Path.Combine(dir.FullName, "tests", "gpu", "run.sh");
            if (File.Exists(Path.Combine(dir.FullName, "LightNet.sln")) && File.Exists(path))
            {
                return File.ReadAllText(path);
            }
        }

        throw new FileNotFoundException("tests/gpu/run.sh was not found above " + AppContext.BaseDirectory);
    }

    [Fact]
    public void TheGpuCheckCoversEveryZooModelOnBothCudnnBackendsAgainstTheManagedEngine()
    {
        string script = Script();
        Match list = Regex.Match(script, @"models\(\) \{\s*echo ""([^""]+)""");
        Assert.True(list.Success, "models() not found in tests/gpu/run.sh");
        Assert.Equal(ModelZoo.Names.Order(StringComparer.Ordinal), list.Groups[1].Value.Split(',').Order(StringComparer.Ordinal));
        Assert.Contains("verify -m \"$(models)\" -b cudnn,cudnn:fp16 --reference cpu-simd", script);
        Assert.Contains("-b cpu-simd,cudnn,cudnn:fp16 --baseline cpu-simd", script);

        // The commands and flags the script uses exist (a renamed flag would otherwise surface only on the GPU machine).
        var stdout = new StringWriter();
        Assert.Equal(0, LightNet.Cli.CliApp.Run(["verify", "--help"], stdout, new StringWriter()));
        foreach (string flag in new[] { "--models", "--backends", "--reference", "--md" })
        {
            Assert.Contains(flag, stdout.ToString());
        }

        stdout = new StringWriter();
        Assert.Equal(0, LightNet.Cli.CliApp.Run(["compare", "--help"], stdout, new StringWriter()));
        foreach (string flag in new[] { "--baseline", "--runs", "--min-time", "--max-time", "--md" })
        {
            Assert.Contains(flag, stdout.ToString());
        }
    }
}
