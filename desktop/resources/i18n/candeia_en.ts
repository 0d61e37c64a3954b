<?xml version="1.0" encoding="utf-8"?>
<!DOCTYPE TS>
<TS version="2.1" language="en">
<context>
    <name>CreatePage</name>
    <message numerus="yes">
        <location filename="../../pages/create/page.py" line="216"/>
        <source>%n image(s) in {seconds:.1f} s on {device}; seed {seed}</source>
        <translation>
            <numerusform>%n image in {seconds:.1f} s on {device}; seed {seed}</numerusform>
            <numerusform>%n images in {seconds:.1f} s on {device}; seed {seed}</numerusform>
        </translation>
    </message>
</context>
<context>
    <name>GalleryPanel</name>
    <message numerus="yes">
        <location filename="../../pages/create/gallery_panel.py" line="76"/>
        <source>%n image(s)</source>
        <translation>
            <numerusform>%n image</numerusform>
            <numerusform>%n images</numerusform>
        </translation>
    </message>
</context>
</TS>
