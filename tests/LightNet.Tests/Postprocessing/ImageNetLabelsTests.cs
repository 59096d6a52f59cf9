using LightNet.Postprocessing;
using Xunit;

namespace LightNet.Tests.Postprocessing;

public class ImageNetLabelsTests
{
    [Fact]
    public void TheEmbeddedListHasTheStandardThousandClassesInOrder()
    {
        ImageNetLabels labels = ImageNetLabels.Default;
        Assert.Same(labels, ImageNetLabels.Default);
        Assert.Equal(1000, labels.Count);
        Assert.Equal(1000, labels.Count());
        Assert.Equal("tench", labels[0]);
        Assert.Equal("goldfish", labels[1]);
        Assert.Equal("great white shark", labels[2]);
        Assert.Equal("tabby", labels[281]);
        Assert.Equal("Egyptian cat", labels[285]);
        Assert.Equal("coffee mug", labels[504]);
        Assert.Equal("space shuttle", labels[812]);
        Assert.Equal("espresso", labels[967]);
        Assert.Equal("toilet tissue", labels[999]);
        Assert.Equal("tabby, tabby cat", labels.Synonyms(281));

        Assert.Equal(281, labels.IndexOf("Tabby"));
        Assert.Equal(281, labels.IndexOf("tabby cat"));
        Assert.Equal(-1, labels.IndexOf("unicorn"));
        Assert.Equal(-1, labels.IndexOf(""));

        Assert.All(labels, l => Assert.False(string.IsNullOrWhiteSpace(l)));
        Assert.Equal(ErrorCode.InvalidArgument, Assert.Throws<LightNetException>(() => labels[1000]).Code);
        Assert.Equal(ErrorCode.InvalidArgument, Assert.Throws<LightNetException>(() => labels.Synonyms(-1)).Code);
    }
}
